# One line per run of run_all_set.sh: seconds per epoch (training pass + topology evolution), evolution seconds, accuracy
# after 2 epochs, connections, peak RSS. usage: python3 collect_set.py  (reads $REFS, as run_all_set.sh)
import re, json, glob, os
os.chdir(os.environ.get("REFS", os.path.join(os.path.dirname(os.path.abspath(__file__)), "refs")))
rounds = sorted(int(re.search(r"-r(\d+)", p).group(1)) for p in glob.glob("logs/mocanu-r*.txt"))
def tv(txt):
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", txt).group(1)) / 1024
    wall = re.search(r"Elapsed \(wall clock\) time.*: (\S+)", txt).group(1)
    ex = re.search(r"Exit status: (\d+)", txt).group(1)
    cpu = re.search(r"Percent of CPU this job got: (\S+)", txt).group(1)
    return rss, wall, ex, cpu
def hms(s):
    h, m, x = s.split(":"); return int(h) * 3600 + int(m) * 60 + float(x)
for name in ["mocanu", "selimac"]:
    for r in rounds:
        t = open(f"logs/{name}-r{r}.txt").read()
        tr = [hms(x) for x in re.findall(r"Training time:\s+(\S+)", t)]
        ev = [hms(x) for x in re.findall(r"Weights evolution time\s+(\d+:\d+:\S+)", t)]
        acc = re.search(r"test accuracy after 2 epochs: (\S+)", t).group(1)
        c0 = re.search(r"connections at init (\d+)", t).group(1); c1 = re.search(r"connections at end (\d+)", t).group(1)
        rss, wall, ex, cpu = tv(t)
        print(f"{name} r{r}: train {tr[0]:.2f}/{tr[1]:.2f}  evol {ev[0]:.3f}  epoch(train+evol) {tr[0]+ev[0]:.2f}/{tr[1]+ev[1]:.2f}  acc {acc}  conn {c0}->{c1}  rss {rss:.0f}MB  wall {wall} cpu {cpu} exit {ex}")
for r in rounds:
    t = open(f"logs/dettmers-r{r}.txt").read()
    ep = re.findall(r"train_seconds (\S+) evolution_seconds (\S+) epoch_seconds (\S+)", t)
    acc = re.search(r"test accuracy after 2 epochs: (\S+)", t).group(1)
    c0 = re.search(r"connections at init (\d+)", t).group(1); c1 = re.search(r"connections at end (\d+)", t).group(1)
    rss, wall, ex, cpu = tv(t)
    print(f"dettmers r{r}: train {ep[0][0]}/{ep[1][0]}  evol {ep[0][1]}  epoch {ep[0][2]}/{ep[1][2]}  acc {acc}  conn {c0}->{c1}  rss {rss:.0f}MB  wall {wall} cpu {cpu} exit {ex}")
for n in range(1, 3 * len(rounds) + 1):
    t = open(f"logs/dst4j-run-{n}.txt").read()
    m = [json.loads(l) for l in open(f"dst4j-run-{n}/metrics.jsonl")]
    rss, wall, ex, cpu = tv(t)
    print(f"dst4j run{n}: epoch {m[0]['epoch_seconds']:.2f}/{m[1]['epoch_seconds']:.2f}  train {m[0]['epoch_seconds']-m[0]['evolution_seconds']:.2f}/{m[1]['epoch_seconds']:.2f} evol {m[0]['evolution_seconds']:.3f}  acc {m[1]['test_accuracy']}  conn {m[0]['connections']}/{m[1]['connections']}  rss {rss:.0f}MB  wall {wall} cpu {cpu} exit {ex}")
