# Wrapper: dcmocanu/sparse-evolutionary-artificial-neural-networks, Tutorial-ECMLPKDD-2019-Scalable-Deep-Learning/set_mlp.py
# (SciPy sparse data structures + Cython backprop), unmodified; only data loading / settings / timing here.
# usage: python3 run_mocanu.py EPOCHS [MAX_BATCHES]
import os, sys, time, datetime
HERE = os.path.dirname(os.path.abspath(__file__)); REFS = os.environ.get("REFS", os.path.join(HERE, "refs"))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(REFS, "sparse-evolutionary-artificial-neural-networks/Tutorial-ECMLPKDD-2019-Scalable-Deep-Learning"))
sys.path.insert(0, os.path.join(REFS, "build_mocanu"))           # compiled sparseoperations.pyx (unchanged source); first on sys.path so the repo's stale Python-3.5 .so is not picked
import numpy as np
import idx
import set_mlp as ref

epochs = int(sys.argv[1]) if len(sys.argv) > 1 else 2
max_batches = int(sys.argv[2]) if len(sys.argv) > 2 else 0
out = os.environ.get("OUT", os.path.join(REFS, "logs", "mocanu")); os.makedirs(out, exist_ok=True)

xtr, ytr, xte, yte = idx.load()
# the tutorial's own loader: float64, /255., one-hot labels
X_train = xtr.astype("float64") / 255.; X_test = xte.astype("float64") / 255.
Y_train = idx.onehot(ytr); Y_test = idx.onehot(yte)
if max_batches:  # fraction of an epoch: keep the first max_batches*128 training samples
    X_train = X_train[:max_batches * 128]; Y_train = Y_train[:max_batches * 128]
ref.batchSize = 128   # fit() reads a module-level "batchSize" global in its testing branch (set in the tutorial's __main__)

np.random.seed(0)
t0 = time.time()
net = ref.SET_MLP((784, 1000, 1000, 1000, 10), (ref.Relu, ref.Relu, ref.Relu, ref.Sigmoid), epsilon=20)
print("init seconds", round(time.time() - t0, 2))
print("connections at init", sum(net.w[i].nnz for i in net.w), [net.w[i].nnz for i in sorted(net.w)], flush=True)
t0 = time.time()
net.fit(X_train, Y_train, X_test, Y_test, loss=ref.MSE, epochs=epochs, batch_size=128, learning_rate=0.01,
        momentum=0.9, weight_decay=0.0002, zeta=0.3, dropoutrate=0.3, testing=False, save_filename=out + "/set_mlp")
print("fit wall seconds", round(time.time() - t0, 2))
t0 = time.time()
acc, _ = net.predict(X_test, Y_test, batch_size=100)
print("test accuracy after", epochs, "epochs:", acc, "(predict", round(time.time() - t0, 2), "s)")
print("connections at end", sum(net.w[i].nnz for i in net.w), [net.w[i].nnz for i in sorted(net.w)])
