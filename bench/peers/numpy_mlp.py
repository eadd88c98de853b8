"""numpy peer of `npm run bench`: the native ceiling for W1, W2 and one GEMM shape.

A plain float32 numpy MLP training step (forward X@W+b, relu, softmax cross-entropy, backward with
X.T@dZ and dZ@W.T, the momentum update v = beta*v - lr*g; w += v), timed like the TypeScript side:
warm-up, then the median of several repetitions over consecutive batches. Runs single-threaded:
the caller sets OPENBLAS_NUM_THREADS=1. Prints one JSON object on stdout; progress goes to stderr.

usage: numpy_mlp.py DATA_FILE ROWS [--quick]
  DATA_FILE: ROWS*784 float32 pixels followed by ROWS uint8 labels
"""
import ctypes
import json
import os
import platform
import sys
import time

try:
    import numpy as np
except ImportError as e:  # the caller reports the skip
    print(json.dumps({"skipped": f"numpy is not importable: {e}"}))
    sys.exit(0)

F32 = np.float32


def log(msg):
    print(f"  numpy: {msg}", file=sys.stderr, flush=True)


def median(xs):
    s = sorted(xs)
    h = len(s) // 2
    return s[h] if len(s) % 2 else (s[h - 1] + s[h]) / 2


def time_it(body, rep_s, reps, warmup_s):
    """Median seconds per call of body() over `reps` repetitions of about rep_s each."""
    body()
    t0 = time.perf_counter()
    calls = 0
    while calls < 2 or time.perf_counter() - t0 < warmup_s:
        body()
        calls += 1
    per_call = (time.perf_counter() - t0) / calls
    n = max(1, round(rep_s / per_call))
    out = []
    for _ in range(reps):
        t = time.perf_counter()
        for _ in range(n):
            body()
        out.append((time.perf_counter() - t) / n)
    return median(out), (max(out) - min(out)) / median(out)


class Mlp:
    """Dense layers, relu between them, softmax cross-entropy on the last; SGD with momentum."""

    def __init__(self, sizes, batch, lr=0.01, beta=0.9, seed=1):
        rng = np.random.default_rng(seed)
        self.lr, self.beta = F32(lr), F32(beta)
        self.W, self.b = [], []
        for fi, fo in zip(sizes[:-1], sizes[1:]):
            lim = np.sqrt(6.0 / (fi + fo))
            self.W.append(rng.uniform(-lim, lim, (fi, fo)).astype(F32))
            self.b.append(np.zeros(fo, F32))
        self.vW = [np.zeros_like(w) for w in self.W]
        self.vb = [np.zeros_like(b) for b in self.b]
        self.rows = np.arange(batch)

    def step(self, x, y):
        n = x.shape[0]
        acts = [x]
        h = x
        last = len(self.W) - 1
        for l, (W, b) in enumerate(zip(self.W, self.b)):
            z = h @ W
            z += b
            if l < last:
                np.maximum(z, 0, out=z)
            acts.append(z)
            h = z
        # softmax cross-entropy, fused gradient: dZ = (softmax(z) - onehot) / n
        z = acts[-1]
        z -= z.max(axis=1, keepdims=True)
        np.exp(z, out=z)
        z /= z.sum(axis=1, keepdims=True)
        loss = -np.log(z[self.rows[:n], y] + F32(1e-30)).mean()
        d = z
        d[self.rows[:n], y] -= F32(1)
        d *= F32(1.0 / n)
        for l in range(last, -1, -1):
            gW = acts[l].T @ d
            gb = d.sum(axis=0)
            if l > 0:
                d_prev = d @ self.W[l].T
                d_prev *= acts[l] > 0  # relu backward from the layer's output
                d = d_prev
            for p, v, g in ((self.W[l], self.vW[l], gW), (self.b[l], self.vb[l], gb)):
                v *= self.beta
                v -= self.lr * g
                p += v
        return loss


def mlp_samples_per_sec(x, y, sizes, batch, rep_s, reps):
    net = Mlp(sizes, batch)
    nb = x.shape[0] // batch
    xs = [np.ascontiguousarray(x[i * batch:(i + 1) * batch]) for i in range(nb)]
    ys = [y[i * batch:(i + 1) * batch].astype(np.intp) for i in range(nb)]
    state = {"i": 0}

    def body():
        i = state["i"]
        net.step(xs[i], ys[i])
        state["i"] = (i + 1) % nb

    sec, spread = time_it(body, rep_s, reps, warmup_s=0.3)
    return batch / sec, spread


def gemm_gflops(m, k, n, product, rep_s, reps):
    rng = np.random.default_rng(2)
    a = rng.uniform(-1, 1, (k, m) if product == "tn" else (m, k)).astype(F32)
    b = rng.uniform(-1, 1, (n, k) if product == "nt" else (k, n)).astype(F32)
    A = a.T if product == "tn" else a
    B = b.T if product == "nt" else b
    c = np.empty((m, n), F32)
    sec, spread = time_it(lambda: np.matmul(A, B, out=c), rep_s, reps, warmup_s=0.2)
    return 2.0 * m * n * k / sec / 1e9, spread


def blas_info():
    """numpy's BLAS, and the OpenBLAS core it picked at run time (threadpoolctl, else the library itself)."""
    info = {"blas": None, "openblasCore": None, "coreSource": None, "blasThreads": None}
    try:
        blas = np.__config__.CONFIG["Build Dependencies"]["blas"]
        info["blas"] = f"{blas.get('name')} {blas.get('version')}".strip()
    except Exception:
        pass
    try:
        from threadpoolctl import threadpool_info
        for lib in threadpool_info():
            if lib.get("internal_api") == "openblas":
                info.update(openblasCore=lib.get("architecture"), coreSource="threadpoolctl",
                            blasThreads=lib.get("num_threads"))
                return info
    except ImportError:
        pass
    # no threadpoolctl: ask the loaded OpenBLAS directly (symbol names of the numpy wheels' scipy-openblas
    # and of a plain OpenBLAS)
    try:
        with open("/proc/self/maps") as f:
            paths = sorted({l.split()[-1] for l in f if "openblas" in l.lower() and ".so" in l})
        for p in paths:
            lib = ctypes.CDLL(p)
            for prefix, suffix in (("scipy_", "64_"), ("scipy_", ""), ("", "64_"), ("", "")):
                fn = getattr(lib, f"{prefix}openblas_get_corename{suffix}", None)
                if fn is None:
                    continue
                fn.restype = ctypes.c_char_p
                info.update(openblasCore=fn().decode(), coreSource="openblas_get_corename")
                th = getattr(lib, f"{prefix}openblas_get_num_threads{suffix}", None)
                if th is not None:
                    th.restype = ctypes.c_int
                    info["blasThreads"] = th()
                return info
    except Exception:
        pass
    return info


def main():
    path, rows = sys.argv[1], int(sys.argv[2])
    quick = "--quick" in sys.argv[3:]
    raw = np.fromfile(path, dtype=np.uint8)
    x = raw[: rows * 784 * 4].view(F32).reshape(rows, 784)
    y = raw[rows * 784 * 4: rows * 784 * 4 + rows]
    reps = 5 if quick else 9
    out = {
        "numpy": np.__version__,
        "python": platform.python_version(),
        "env": {k: os.environ.get(k) for k in ("OPENBLAS_NUM_THREADS", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")},
    }
    out.update(blas_info())
    log("W1 784-128-10, batch 64")
    out["w1SamplesPerSec"], out["w1Spread"] = mlp_samples_per_sec(x, y, [784, 128, 10], 64, 0.2, reps)
    log("W2 784-512-512-10, batch 256")
    out["w2SamplesPerSec"], out["w2Spread"] = mlp_samples_per_sec(x, y, [784, 512, 512, 10], 256, 0.25, reps)
    out["gemm"] = []
    for product in ("nn", "tn", "nt"):
        log(f"GEMM {product} 256x784x512")
        g, spread = gemm_gflops(256, 784, 512, product, 0.1, reps)
        out["gemm"].append({"m": 256, "k": 784, "n": 512, "product": product, "gflops": g, "spread": spread})
    print(json.dumps(out))


if __name__ == "__main__":
    main()
