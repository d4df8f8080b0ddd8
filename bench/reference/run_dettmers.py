# Wrapper: TimDettmers/sparse_learning (sparselearning.core.Masking, dense weights + dense 0/1 masks), unmodified.
# SET = magnitude prune + random growth, prune rate (zeta) 0.3 constant, per-layer regrowth = per-layer removal
# (redistribution 'nonzero'), SET's Erdos-Renyi init (sparse_init='linear', epsilon searched to hit the density).
# The library calls .cuda() unconditionally; there is no GPU here, so Tensor.cuda is made a no-op (CPU tensors).
# The training loop mirrors mnist_cifar/main.py::train (zero_grad, forward, nll_loss, backward, mask.step()) and
# mask.at_end_of_epoch() after every epoch but the last, as main.py does.
# usage: python3 run_dettmers.py EPOCHS [MAX_BATCHES]
import os, sys, time, math
HERE = os.path.dirname(os.path.abspath(__file__)); REFS = os.environ.get("REFS", os.path.join(HERE, "refs"))
sys.path.insert(0, HERE); sys.path.insert(0, os.path.join(REFS, "sparse_learning"))
import numpy as np, torch, torch.nn as nn, torch.nn.functional as F
import idx
torch.Tensor.cuda = lambda self, *a, **k: self
from sparselearning.core import Masking

torch.set_num_threads(int(os.environ.get("THREADS", "2")))
epochs = int(sys.argv[1]) if len(sys.argv) > 1 else 2
max_batches = int(sys.argv[2]) if len(sys.argv) > 2 else 0
torch.manual_seed(17); np.random.seed(17)

class ConstantRate:  # SET keeps zeta fixed; Masking expects a decay object with step()/get_dr()
    def step(self): pass
    def get_dr(self, prune_rate): return prune_rate

class MLP(nn.Module):
    def __init__(self, dims=(784, 1000, 1000, 1000, 10), p=0.3):
        super().__init__()
        self.fcs = nn.ModuleList([nn.Linear(a, b) for a, b in zip(dims[:-1], dims[1:])]); self.p = p
    def forward(self, x):
        for fc in self.fcs[:-1]:
            x = F.dropout(F.relu(fc(x)), p=self.p, training=self.training)
        return F.log_softmax(self.fcs[-1](x), dim=1)

xtr, ytr, xte, yte = idx.load()
xtr = torch.from_numpy(xtr.astype(np.float32) / 255.); xte = torch.from_numpy(xte.astype(np.float32) / 255.)
m, s = xtr.mean(0), xtr.std(0); xtr = (xtr - m) / s; xte = (xte - m) / s
ytr = torch.from_numpy(ytr); yte = torch.from_numpy(yte)

model = MLP()
# PyTorch's default Linear init (U(+-1/sqrt(fan_in))) masked to ~4% density does not train at lr 0.01 (loss stays at
# ln 10 after 150 batches); use He-uniform U(+-sqrt(6/fan_in)) as the SET references (SelimaC) and dst4j do, zero bias.
with torch.no_grad():
    for fc in model.fcs:
        lim = math.sqrt(6.0 / fc.in_features); fc.weight.uniform_(-lim, lim); fc.bias.zero_()
optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=0.0002)
dims = (784, 1000, 1000, 1000, 10)
density = 20 * sum(a + b for a, b in zip(dims[:-1], dims[1:])) / sum(a * b for a, b in zip(dims[:-1], dims[1:]))
mask = Masking(optimizer, ConstantRate(), prune_rate=0.3, prune_mode='magnitude', growth_mode='random',
               redistribution_mode='nonzero')
t0 = time.time(); mask.add_module(model, density=density, sparse_init='linear')
def nconn(): return [int(mk.sum().item()) for mk in mask.masks.values()]
print("init seconds", round(time.time() - t0, 2), "density target", density)
print("connections at init", sum(nconn()), nconn(), flush=True)

def evaluate():
    model.eval(); correct = 0
    with torch.no_grad():
        for i in range(0, xte.shape[0], 1000):
            correct += (model(xte[i:i + 1000]).argmax(1) == yte[i:i + 1000]).sum().item()
    return correct / xte.shape[0]

n = xtr.shape[0] // 128 if not max_batches else max_batches
for epoch in range(1, epochs + 1):
    model.train(); perm = torch.randperm(xtr.shape[0])
    t1 = time.time()
    for b in range(n):
        ix = perm[b * 128:(b + 1) * 128]
        data, target = xtr[ix], ytr[ix]
        optimizer.zero_grad()
        loss = F.nll_loss(model(data), target)
        loss.backward()
        mask.step()
    t2 = time.time()
    if epoch < epochs: mask.at_end_of_epoch()
    t3 = time.time()
    print(f"epoch {epoch}: batches {n} train_seconds {t2 - t1:.3f} evolution_seconds {t3 - t2:.3f} "
          f"epoch_seconds {t3 - t1:.3f} loss {loss.item():.4f} connections {sum(nconn())} {nconn()}", flush=True)
t0 = time.time(); acc = evaluate()
print("test accuracy after", epochs, "epochs:", acc, "(eval", round(time.time() - t0, 2), "s)")
print("connections at end", sum(nconn()), nconn())
