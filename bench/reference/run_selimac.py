# Wrapper: SelimaC/large-scale-sparse-neural-networks, set_mlp_sequential.py (SciPy sparse + Numba), unmodified.
# Its utils/load_data.py imports keras/tensorflow/sklearn/pandas (not on Debian); it is only a data loader, so a stub
# module with the same load_fashion_mnist_data (same preprocessing: float32, standardized on train) replaces it.
# usage: python3 run_selimac.py EPOCHS [MAX_BATCHES]
import os, sys, time, types
HERE = os.path.dirname(os.path.abspath(__file__)); REFS = os.environ.get("REFS", os.path.join(HERE, "refs"))
sys.path.insert(0, HERE); REPO = os.path.join(REFS, "large-scale-sparse-neural-networks"); sys.path.insert(0, REPO)
import numpy as np
import idx

epochs = int(sys.argv[1]) if len(sys.argv) > 1 else 2
max_batches = int(sys.argv[2]) if len(sys.argv) > 2 else 0
out = os.environ.get("OUT", os.path.join(REFS, "logs", "selimac")); os.makedirs(out, exist_ok=True)

def load_fashion_mnist_data(n_training_samples, n_testing_samples):
    # same steps as utils/load_data.py::load_fashion_mnist_data, from the IDX files instead of the .npz
    xtr, ytr, xte, yte = idx.load()
    x_train, y_train = xtr, idx.onehot(ytr, dtype=np.float32)
    x_test, y_test = xte, idx.onehot(yte, dtype=np.float32)
    index_train = np.arange(x_train.shape[0]); np.random.shuffle(index_train)
    index_test = np.arange(x_test.shape[0]); np.random.shuffle(index_test)
    x_train = x_train[index_train[0:n_training_samples], :]; y_train = y_train[index_train[0:n_training_samples], :]
    x_test = x_test[index_test[0:n_testing_samples], :]; y_test = y_test[index_test[0:n_testing_samples], :]
    x_train = x_train.astype('float32'); x_test = x_test.astype('float32')
    m = np.mean(x_train, axis=0); s = np.std(x_train, axis=0)
    return (x_train - m) / s, y_train, (x_test - m) / s, y_test

stub = types.ModuleType("utils.load_data"); stub.load_fashion_mnist_data = load_fashion_mnist_data
import utils; sys.modules["utils.load_data"] = stub; utils.load_data = stub
os.chdir(REPO)  # numba cache=True writes next to the module
import set_mlp_sequential as ref
from utils.nn_functions import AlternatedLeftReLU, Softmax, CrossEntropy

n_train = max_batches * 128 if max_batches else 60000
x_train, y_train, x_test, y_test = load_fashion_mnist_data(n_train, 10000)
np.random.seed(0)
t0 = time.time()
net = ref.SET_MLP((784, 1000, 1000, 1000, 10),
                  (AlternatedLeftReLU(-0.6), AlternatedLeftReLU(0.6), AlternatedLeftReLU(-0.6), Softmax), epsilon=20)
print("init seconds", round(time.time() - t0, 2))
print("connections at init", sum(net.w[i].nnz for i in net.w), [net.w[i].nnz for i in sorted(net.w)], flush=True)
t0 = time.time()
net.fit(x_train, y_train, x_test, y_test, loss=CrossEntropy, epochs=epochs, batch_size=128, learning_rate=0.01,
        momentum=0.9, weight_decay=0.0002, zeta=0.3, dropoutrate=0.3, testing=False,
        save_filename=out + "/set_mlp_sequential", monitor=False)
print("fit wall seconds", round(time.time() - t0, 2))
t0 = time.time()
acc, _ = net.predict(x_test, y_test, batch_size=100)
print("test accuracy after", epochs, "epochs:", acc, "(predict", round(time.time() - t0, 2), "s)")
print("connections at end", sum(net.w[i].nnz for i in net.w), [net.w[i].nnz for i in sorted(net.w)])
