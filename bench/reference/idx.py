# Fashion-MNIST IDX loader for the reference-benchmark wrappers (written for this benchmark).
import gzip, os, numpy as np
DATA = os.environ.get("FMNIST_DIR", os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../shared/data/fashion-mnist"))

def _read(name):
    with gzip.open(os.path.join(DATA, name), "rb") as f:
        b = f.read()
    magic = int.from_bytes(b[0:4], "big")
    nd = magic & 0xFF
    dims = [int.from_bytes(b[4 + 4 * i:8 + 4 * i], "big") for i in range(nd)]
    return np.frombuffer(b, dtype=np.uint8, offset=4 + 4 * nd).reshape(dims)

def load(flatten=True):
    xtr = _read("train-images-idx3-ubyte.gz"); ytr = _read("train-labels-idx1-ubyte.gz")
    xte = _read("t10k-images-idx3-ubyte.gz"); yte = _read("t10k-labels-idx1-ubyte.gz")
    if flatten:
        xtr = xtr.reshape(xtr.shape[0], -1); xte = xte.reshape(xte.shape[0], -1)
    return xtr, ytr.astype(np.int64), xte, yte.astype(np.int64)

def onehot(y, n=10, dtype=np.float64):
    o = np.zeros((y.shape[0], n), dtype=dtype); o[np.arange(y.shape[0]), y] = 1; return o
