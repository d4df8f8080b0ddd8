# Wrapper (written for this benchmark): zahraatashgahi/QuickSelection @ 8bf24ef,
# QuickSelection/Sparse_DAE.py + fs_utils.py, UNMODIFIED. Only data loading, settings and timing here.
# Settings = QuickSelection/train_sparse_DAE.py (one of its 5 runs), non-madelon branch (Sigmoid hidden, Linear output):
#   784-1000-784, epsilon 13, zeta 0.2, lr 0.01, momentum 0.9, weight decay 1e-5, dropout 0.2, batch 100, noise 0.2, MSE.
# Preprocessing = utils.load_data("MNIST") (the reference's only image dataset; it has no Fashion-MNIST branch):
#   reshape to 784, astype float32, sklearn StandardScaler fitted on train, transform train and test.
# Selection = QuickSelection.py: load w1.npz/w2.npz, fs_utils.feature_selection(w1, w2, 50, 'Node Strength(in)').
# The reference's own scripts cannot run here: its load_data("MNIST") needs TensorFlow, and QuickSelection.py imports
# sklearn.utils.linear_assignment_, gone from scikit-learn 1.2; so this calls Sparse_DAE.fit and feature_selection directly.
# usage: /usr/bin/python3 run_quickselection.py EPOCHS OUTDIR  (EPOCHS >= 2: the reference's fit fails at 1)
import os, sys, time
HERE = os.path.dirname(os.path.abspath(__file__)); REFS = os.environ.get("REFS", os.path.join(HERE, "refs"))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(REFS, "QuickSelection", "QuickSelection"))
sys.path.insert(0, os.path.join(REFS, "build_quickselection"))   # compiled unchanged sparseoperations.pyx, first so the repo's py3.7 .so is not used

class Stamp:   # prefixes every printed line with seconds since start (to time epochs without touching the reference)
    def __init__(self, f): self.f = f; self.t0 = time.monotonic(); self.bol = True
    def write(self, s):
        for part in s.splitlines(True):
            if self.bol: self.f.write("[%10.3f] " % (time.monotonic() - self.t0))
            self.f.write(part); self.bol = part.endswith("\n")
        self.f.flush()
    def flush(self): self.f.flush()
sys.stdout = Stamp(sys.stdout)

import numpy as np, scipy, scipy.sparse
from sklearn import preprocessing
import idx
from Sparse_DAE import Sparse_DAE
from other_classes import Sigmoid, MSE, tanh, Relu, LeakyRelu, Linear
from fs_utils import feature_selection

epochs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
out = sys.argv[2] if len(sys.argv) > 2 else os.path.join(REFS, "logs", "quickselection")
os.makedirs(out, exist_ok=True)
print("threads env:", {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")})

# utils.load_data("MNIST") steps, on Fashion-MNIST IDX files
xtr, ytr, xte, yte = idx.load()
X_train = xtr.reshape((xtr.shape[0], -1)).astype('float32'); X_test = xte.reshape((xte.shape[0], -1)).astype('float32')
scaler = preprocessing.StandardScaler().fit(X_train)
X_train = scaler.transform(X_train); X_test = scaler.transform(X_test)
Y_train, Y_test = ytr, yte
print("data", X_train.shape, X_train.dtype, X_test.shape)

# train_sparse_DAE.py settings
noise_factor = 0.2; weightDecay = 0.00001; noHiddenNeuronsLayer = 1000; batchSize = 100
dropoutRate = 0.2; learningRate = 0.01; momentum = 0.9; epsilon = 13; zeta = 0.2
filename = out + "/run 0/"
os.makedirs(filename, exist_ok=True)

t0 = time.time()
set_dae = Sparse_DAE((X_train.shape[1], noHiddenNeuronsLayer, X_train.shape[1]), (Sigmoid, Linear), epsilon=epsilon)
print("init seconds", round(time.time() - t0, 3))
print("connections at init", sum(set_dae.w[i].nnz for i in set_dae.w), [set_dae.w[i].nnz for i in sorted(set_dae.w)])
print("FIT START")
t1 = time.time()
set_dae.fit(X_train, Y_train.ravel(), X_test, Y_test.ravel(), loss=MSE,
            epochs=epochs, batch_size=batchSize, learning_rate=learningRate,
            momentum=momentum, weight_decay=weightDecay, zeta=zeta, dropoutrate=dropoutRate,
            testing=False, save_filename=filename, noise_factor=noise_factor)
end = time.time()
print("FIT END")
print("running time QS_", epochs, "= ", end - t0, "(fit only:", end - t1, ")")
print("connections at end", sum(set_dae.w[i].nnz for i in set_dae.w), [set_dae.w[i].nnz for i in sorted(set_dae.w)])

# QuickSelection.py selection step (its clustering/ExtraTrees evaluation is not timed)
t2 = time.time()
w1 = scipy.sparse.load_npz(filename + "w1.npz"); w2 = scipy.sparse.load_npz(filename + "w2.npz")
t3 = time.time()
indices = feature_selection(w1, w2, 50, 'Node Strength(in)')
t4 = time.time()
print("selection: load_npz %.4f s, feature_selection(K=50, Node Strength(in)) %.4f s" % (t3 - t2, t4 - t3))
print("w1 nnz", w1.nnz, "w2 nnz", w2.nnz)
print("selected", list(map(int, indices)))
