#!/bin/bash
# SET's reference implementations and dst4j on the same task, alternating (reference, dst4j, reference, dst4j, ...)
# for ROUNDS rounds, 2 epochs each, 2 threads. Setup: README.md beside this script. Logs go to $REFS/logs.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
REFS=${REFS:-$HERE/refs}
ROUNDS=${ROUNDS:-3}
export REFS FMNIST_DIR=${FMNIST_DIR:-$ROOT/../shared/data/fashion-mnist}
export OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2 MKL_NUM_THREADS=2 NUMBA_NUM_THREADS=2 THREADS=2
mkdir -p "$REFS/logs"
n=0
runref() { # name
  local log=$REFS/logs/$1-r$r.txt rc
  echo "=== $1 round $r start $(date -Is) | $(uptime)" | tee -a "$REFS/logs/sequence.txt"
  /usr/bin/time -v /usr/bin/python3 "$HERE/run_$1.py" 2 > "$log" 2>&1; rc=$?
  echo "=== $1 round $r end   $(date -Is) | $(uptime) | rc=$rc" | tee -a "$REFS/logs/sequence.txt"
}
rundst() {
  n=$((n+1)); local out=$REFS/dst4j-run-$n rc
  echo "=== dst4j run $n start $(date -Is) | $(uptime)" | tee -a "$REFS/logs/sequence.txt"
  ( cd "$ROOT" && DST4J_DATA=$FMNIST_DIR /usr/bin/time -v ./dst4j set --dataset fashion-mnist --epochs 2 --threads 2 --out "$out" --overwrite ) \
    > "$REFS/logs/dst4j-run-$n.txt" 2>&1; rc=$?
  echo "=== dst4j run $n end   $(date -Is) | $(uptime) | rc=$rc" | tee -a "$REFS/logs/sequence.txt"
}
for r in $(seq 1 "$ROUNDS"); do
  runref mocanu;   rundst
  runref selimac;  rundst
  runref dettmers; rundst
done
echo "done: per-epoch seconds in $REFS/logs/*-r*.txt and $REFS/dst4j-run-*/metrics.jsonl" | tee -a "$REFS/logs/sequence.txt"
