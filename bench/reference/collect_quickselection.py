# One line per run of run_all_quickselection.sh: the reference's seconds per epoch (from its timestamped lines),
# training and evolution times, the selection step; dst4j's epoch_seconds. usage: python3 collect_quickselection.py  (reads $REFS)
import re, json, glob, os
R = os.path.join(os.environ.get("REFS", os.path.join(os.path.dirname(os.path.abspath(__file__)), "refs")), "qs")
def tv(log):
    s = open(log).read()
    g = lambda p: re.search(p, s).group(1)
    return dict(cpu=g(r"Percent of CPU this job got: (\d+)%"), rss_mb=int(g(r"Maximum resident set size \(kbytes\): (\d+)")) / 1024,
                wall=g(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)"), user=g(r"User time \(seconds\): (\S+)"))
for n in range(1, 100):
    log = f"{R}/ref-run-{n}.log"
    if os.path.exists(log):
        L = open(log).read().splitlines()
        st = lambda l: float(l[1:l.index("]")])
        ep = [st(l) for l in L if re.search(r"\] epoch  \d+$", l)]
        fs = [st(l) for l in L if "FIT START" in l][0]; fe = [st(l) for l in L if "FIT END" in l][0]
        per = [b - a for a, b in zip(ep, ep[1:] + [fe])]
        tr = [float(x.split(":")[-1]) + 60 * int(x.split(":")[-2]) for x in re.findall(r"Training time:  (\S+)", "\n".join(L))]
        evo = re.findall(r"Weights evolution time for layer \d is (\S+)", "\n".join(L))
        evo = [float(x.split(":")[-1]) for x in evo]
        evo_ep = [evo[i] + evo[i + 1] for i in range(0, len(evo), 2)]
        sel = re.search(r"feature_selection\(K=50, Node Strength\(in\)\) (\S+) s", "\n".join(L)).group(1)
        conn = re.search(r"connections at init (\d+) (.*)", "\n".join(L)).groups()
        print(f"ref-run-{n}: fit-setup {ep[0]-fs:.2f}s  epochs {[round(x,2) for x in per]}  training-only {[round(x,2) for x in tr]}  "
              f"evolution/epoch {[round(x,3) for x in evo_ep]}  selection {sel}s  conn {conn}  {tv(log)}")
for d in sorted(glob.glob(f"{R}/dst4j-run-*")) + [f"{R}/dst4j-full100"]:
    if not os.path.isdir(d): continue
    m = [json.loads(l) for l in open(d + "/metrics.jsonl")]
    s = json.load(open(d + "/summary.json"))
    es = [x["epoch_seconds"] for x in m]; ev = [x["evolution_seconds"] for x in m]
    extra = "" if len(m) < 20 else f" sum {sum(es):.1f}s mean(2..100) {sum(es[1:])/(len(es)-1):.3f}s median {sorted(es)[len(es)//2]:.3f}"
    print(f"{os.path.basename(d)}: epochs {[round(x,3) for x in es] if len(m) < 20 else '(100)'}{extra} evolution {[round(x,3) for x in ev] if len(m)<20 else round(sum(ev),2)} "
          f"conn {m[0]['connections']}/{m[-1]['connections']} selection_seconds {s['selection_seconds']:.2f} {tv(d + '.log')}")
