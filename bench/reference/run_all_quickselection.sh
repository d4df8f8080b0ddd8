#!/bin/bash
# QuickSelection's reference and dst4j on Fashion-MNIST, alternating (reference, dst4j, ...) for ROUNDS rounds of E
# epochs each, then dst4j's full default run (100 epochs; FULL=0 skips it). Setup: README.md beside this script.
# Logs and outputs go to $REFS/qs.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
REFS=${REFS:-$HERE/refs}; R=$REFS/qs
E=${E:-5}; ROUNDS=${ROUNDS:-5}
export REFS FMNIST_DIR=${FMNIST_DIR:-$ROOT/../shared/data/fashion-mnist}
export OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2 MKL_NUM_THREADS=2 NUMEXPR_NUM_THREADS=2
mkdir -p "$R"
for n in $(seq 1 "$ROUNDS"); do
  { echo "== ref-run-$n"; uptime; } | tee -a "$R/loads.log"
  /usr/bin/time -v /usr/bin/python3 "$HERE/run_quickselection.py" "$E" "$R/ref-run-$n" > "$R/ref-run-$n.log" 2>&1
  { echo "== dst4j-run-$n"; uptime; } | tee -a "$R/loads.log"
  (cd "$ROOT" && DST4J_DATA=$FMNIST_DIR /usr/bin/time -v ./dst4j quickselection --dataset fashion-mnist --k 50 --epochs "$E" --threads 2 \
     --out "$R/dst4j-run-$n" --overwrite) > "$R/dst4j-run-$n.log" 2>&1
done
if [ "${FULL:-1}" = 1 ]; then
  { echo "== dst4j-full100"; uptime; } | tee -a "$R/loads.log"
  (cd "$ROOT" && DST4J_DATA=$FMNIST_DIR /usr/bin/time -v ./dst4j quickselection --dataset fashion-mnist --k 50 --threads 2 \
     --out "$R/dst4j-full100" --overwrite) > "$R/dst4j-full100.log" 2>&1
fi
{ echo "== done"; uptime; } | tee -a "$R/loads.log"
