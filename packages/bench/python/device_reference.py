#!/usr/bin/env python3
"""The reference half of rbmlab's device bench (packages/bench/src/device): the same workloads
as the gpu.js rows, written the way a careful PyTorch user writes them, in float32.

  python3 device_reference.py SPEC.json RESULT.json

SPEC.json (written by the Node side) lists the workloads (key, kind, sizes; the dense model's
file), minSeconds and deadlineSeconds (from this process's start). RESULT.json is rewritten after
every row, so a kill leaves what finished.

Which tool runs, in this order:
  torch-cuda   PyTorch on the GPU, fp32 matmuls (TF32 off), uniforms from torch.rand on the device;
  torch-cpu    PyTorch without CUDA, on the CPU;
  numpy-cpu    numpy on the CPU where torch does not import, labelled as such (never as PyTorch),
               with the reason torch was not used.

Workloads (plan.ts in packages/bench/src/device says the same):
  gibbs  chains x N visible, M hidden bernoulli, W ~ 0.01 N(0, 1), biases 0; one sweep
         h = [u < sigmoid(v W + c)], v = [u' < sigmoid(h W^T + b)]; rate chains x sweeps / s.
  pcd    B data rows of i.i.d. Bernoulli(p) pixels, resident on the device; B persistent chains;
         per step: ph = sigmoid(D W + c); one sweep of the chains; nh = sigmoid(V W + c);
         W += lr/B (D^T ph - V^T nh), b += lr/B (sum D - sum V), c += lr/B (sum ph - sum nh)
         (six products, as rbmlab and the anchors' nppcd); rate B x steps / s.
  dense  heat bath of the dense memory in the model file (rbmlab.dense/1, read by
         dense_reference.py's reader): every chain visits sites 0 .. N-1 in order; overlaps
         x = xi s kept as exact integers; at site i, a = x - xi_i s_i, Delta = sum_mu xi^mu_i D(a_mu)
         with D looked up in a table over the 2N - 1 values of a (rbmlab's algorithm),
         s_i = +1 if u < sigmoid(beta Delta) else -1, x += xi_i (s_i' - s_i);
         rate chains x N x sweeps / s (site-updates/s).
Timing: three untimed calls (allocation, cuBLAS handles, kernel caches), then calls in groups
until minSeconds pass, each group ended by a synchronisation, so the time covers finished work.
"""
import json
import os
import platform
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dense_reference import dense_model  # noqa: E402  (the bench's reader of rbmlab.dense/1 files)

T0 = time.time()


def log(line):
    print(f'[reference {time.time() - T0:6.1f}s] {line}', flush=True)


def cpu_model():
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


class NumpyOps:
    """Array operations on the CPU with numpy (float32), seeded generator."""

    tool = 'numpy-cpu'

    def __init__(self, seed):
        import numpy as np
        np.seterr(over='ignore')  # exp(-x) of a very negative input: inf, and sigmoid 0, as intended
        self.np = np
        self.rng = np.random.default_rng(seed)
        self.f32 = np.float32
        self.device_name = cpu_model()

    def normal(self, shape, scale):
        return (scale * self.rng.standard_normal(shape)).astype(self.np.float32)

    def zeros(self, n):
        return self.np.zeros(n, self.np.float32)

    def rand(self, shape):
        return self.rng.random(shape, dtype=self.np.float32)

    def bernoulli_rows(self, shape, p):
        return (self.rng.random(shape) < p).astype(self.np.float32)

    def sample(self, probs):
        """[u < probs] as float32 (a Bernoulli draw per entry)."""
        return (self.rand(probs.shape) < probs).astype(self.np.float32)

    def sigmoid(self, x):
        return 1.0 / (1.0 + self.np.exp(-x))

    def add_outer(self, w, a, b, alpha):
        """w += alpha a^T b."""
        w += self.f32(alpha) * (a.T @ b)

    def from_numpy(self, array, dtype):
        return array.astype(dtype)

    def where_on(self, u, p, n_chains):
        return self.np.where(u < p, 1, -1).astype(self.np.int64)

    def mean(self, x):
        return float(x.mean())

    def to_host(self, x):
        return x

    def sync(self):
        pass


class TorchOps:
    """The same operations with PyTorch on `device`, float32, matmuls in IEEE fp32 (no TF32)."""

    def __init__(self, torch, device, seed):
        self.torch = torch
        self.device = device
        self.tool = f'torch-{device}'
        self.gen = torch.Generator(device=device).manual_seed(seed)
        self.device_name = torch.cuda.get_device_name(0) if device == 'cuda' else cpu_model()
        self._ones = None

    def normal(self, shape, scale):
        return scale * self.torch.randn(*shape, generator=self.gen, device=self.device, dtype=self.torch.float32)

    def zeros(self, n):
        return self.torch.zeros(n, device=self.device, dtype=self.torch.float32)

    def rand(self, shape):
        return self.torch.rand(*shape, generator=self.gen, device=self.device, dtype=self.torch.float32)

    def bernoulli_rows(self, shape, p):
        return (self.rand(shape) < p).float()

    def sample(self, probs):
        return (self.rand(tuple(probs.shape)) < probs).float()

    def sigmoid(self, x):
        return self.torch.sigmoid(x)

    def add_outer(self, w, a, b, alpha):
        w.addmm_(a.T, b, alpha=alpha)

    def from_numpy(self, array, dtype):
        t = {'float32': self.torch.float32, 'int64': self.torch.int64}[dtype]
        return self.torch.from_numpy(array).to(device=self.device, dtype=t)

    def where_on(self, u, p, n_chains):
        if self._ones is None or self._ones.shape[0] != n_chains:  # made once, not at every site
            self._ones = self.torch.ones(n_chains, dtype=self.torch.int64, device=self.device)
        return self.torch.where(u < p, self._ones, -self._ones)

    def mean(self, x):
        return float(x.float().mean().item())

    def to_host(self, x):
        return x.cpu().numpy()

    def sync(self):
        if self.device == 'cuda':
            self.torch.cuda.synchronize()


def set_fp32_matmul(torch, result):
    """IEEE fp32 matmuls (TF32 off): the new fp32_precision API where it exists, else allow_tf32."""
    m = torch.backends.cuda.matmul
    try:
        if hasattr(m, 'fp32_precision'):
            m.fp32_precision = 'ieee'
        else:
            m.allow_tf32 = False
        result['tf32'] = False
    except Exception as e:  # noqa: BLE001
        result['tf32Error'] = f'{type(e).__name__}: {e}'
    try:
        result['float32MatmulPrecision'] = torch.get_float32_matmul_precision()
    except Exception:  # noqa: BLE001
        pass


def choose_ops(result, seed):
    """torch on CUDA, else torch on the CPU, else numpy; records why in `result`."""
    try:
        import torch
    except Exception as e:  # noqa: BLE001
        result['torch'] = None
        result['fallbackReason'] = f'torch does not import with {sys.executable}: {type(e).__name__}: {e}'
        return NumpyOps(seed)
    result['torch'] = torch.__version__
    result['cuda'] = torch.version.cuda
    result['cudaAvailable'] = bool(torch.cuda.is_available())
    result['threads'] = torch.get_num_threads()
    if torch.cuda.is_available():
        set_fp32_matmul(torch, result)
        return TorchOps(torch, 'cuda', seed)
    result['fallbackReason'] = f'torch {torch.__version__} imports but CUDA is not available (torch.version.cuda = {torch.version.cuda})'
    return TorchOps(torch, 'cpu', seed)


def timed(ops, step, min_seconds, deadline):
    """Three untimed calls, then groups of calls, each group synchronised, until min_seconds pass
    (or the deadline, measured from this process's start); returns (count, seconds, warm-up seconds)."""
    t = time.perf_counter()
    for _ in range(3):
        step()
    ops.sync()
    warm = time.perf_counter() - t
    group = 1
    count = 0
    t = time.perf_counter()
    while True:
        for _ in range(group):
            step()
        ops.sync()
        count += group
        elapsed = time.perf_counter() - t
        if elapsed >= min_seconds or time.time() - T0 >= deadline:
            return count, elapsed, warm
        # groups of about a tenth of min_seconds: few synchronisations, little overshoot
        group = max(1, min(group * 2, int(0.1 * min_seconds * count / max(elapsed, 1e-9))))


def gibbs(ops, w, min_seconds, deadline):
    chains, n, m = w['size'], w['n'], w['m']
    W = ops.normal((n, m), 0.01)
    b, c = ops.zeros(n), ops.zeros(m)
    state = {'v': ops.bernoulli_rows((chains, n), 0.5)}

    def sweep():
        h = ops.sample(ops.sigmoid(state['v'] @ W + c))
        state['v'] = ops.sample(ops.sigmoid(h @ W.T + b))

    count, seconds, warm = timed(ops, sweep, min_seconds, deadline)
    mean = ops.mean(state['v'])
    return dict(rate=chains * count / seconds, count=count, seconds=seconds, warmupSeconds=warm,
                ok=0.4 < mean < 0.6, check=f'mean visible {mean:.4f} (expected about 0.5)')


def pcd(ops, w, min_seconds, deadline):
    batch, n, m = w['size'], w['n'], w['m']
    lr = w['learningRate'] / batch
    W = ops.normal((n, m), 0.01)
    W0 = ops.to_host(W).copy()
    b, c = ops.zeros(n), ops.zeros(m)
    data = ops.bernoulli_rows((batch, n), w['pixelOn'])  # resident on the device
    state = {'chains': ops.bernoulli_rows((batch, n), 0.5)}

    def step():
        nonlocal b, c  # updated in place (numpy and torch alike); nonlocal only for Python's scoping
        ph = ops.sigmoid(data @ W + c)
        h = ops.sample(ops.sigmoid(state['chains'] @ W + c))
        v = ops.sample(ops.sigmoid(h @ W.T + b))
        state['chains'] = v
        nh = ops.sigmoid(v @ W + c)
        ops.add_outer(W, data, ph, lr)
        ops.add_outer(W, v, nh, -lr)
        b += lr * (data.sum(0) - v.sum(0))
        c += lr * (ph.sum(0) - nh.sum(0))

    count, seconds, warm = timed(ops, step, min_seconds, deadline)
    import numpy as np
    after = ops.to_host(W)
    finite = bool(np.isfinite(after).all())
    moved = float(np.abs(after - W0).max())
    return dict(rate=batch * count / seconds, count=count, seconds=seconds, warmupSeconds=warm,
                ok=finite and moved > 0, check=f'weights finite: {finite}; max |dW| {moved:.2e}',
                note='the data batch stays on the device')


def dense(ops, w, min_seconds, deadline):
    import numpy as np
    xi64, p, c, beta = dense_model(w['model'])
    P, N = xi64.shape
    chains = w['size']
    xi_cols = ops.from_numpy(np.ascontiguousarray(xi64.T), 'int64')  # N x P: site i's pattern values
    xi_colsf = ops.from_numpy(np.ascontiguousarray(xi64.T), 'float32')
    a_values = np.arange(-(N - 1), N, dtype=np.float64)
    table = ops.from_numpy(c * ((a_values + 1.0) ** p - (a_values - 1.0) ** p), 'float32')  # D(a) at index a + N - 1
    s0 = np.where(np.random.default_rng(w.get('seed', 0)).random((chains, N)) < 0.5, -1, 1).astype(np.int64)
    # chains x P overlaps x = s xi^T, exact integers (formed on the host: CUDA has no int64 matmul)
    state = {'s': ops.from_numpy(s0, 'int64'), 'x': ops.from_numpy(s0 @ xi64.T.astype(np.int64), 'int64')}

    def sweep():
        s, x = state['s'], state['x']
        u = ops.rand((chains, N))
        for i in range(N):
            col = xi_cols[i]
            old = s[:, i]
            a = x - old[:, None] * col[None, :] + (N - 1)
            delta = table[a] @ xi_colsf[i]
            new = ops.where_on(u[:, i], ops.sigmoid(beta * delta), chains)
            x += (new - old)[:, None] * col[None, :]
            s[:, i] = new

    count, seconds, warm = timed(ops, sweep, min_seconds, deadline)
    s = ops.to_host(state['s'])
    spins = bool(np.isin(s, (-1, 1)).all())
    x_ok = bool((ops.to_host(state['x']) == s @ xi64.T.astype(np.int64)).all())
    return dict(rate=chains * N * count / seconds, count=count, seconds=seconds, warmupSeconds=warm,
                ok=spins and x_ok, check=f'states all +-1: {spins}; overlaps equal xi s: {x_ok}; mean spin {float(s.mean()):.4f}')


KINDS = {'gibbs': gibbs, 'pcd': pcd, 'dense': dense}


def main():
    if len(sys.argv) != 3:
        print('usage: device_reference.py SPEC.json RESULT.json', file=sys.stderr)
        sys.exit(2)
    spec = json.load(open(sys.argv[1]))
    out_path = sys.argv[2]
    result = {'python': sys.executable, 'pythonVersion': sys.version.split()[0], 'platform': platform.platform(),
              'started': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()), 'rows': [], 'errors': []}

    def save():
        result['elapsedSeconds'] = time.time() - T0
        with open(out_path, 'w') as f:
            json.dump(result, f, indent=1)

    try:
        ops = choose_ops(result, spec.get('seed', 0))
    except Exception as e:  # noqa: BLE001  (numpy missing too)
        result['tool'] = None
        result['error'] = f'neither torch nor numpy is usable with {sys.executable}: {type(e).__name__}: {e}'
        save()
        log(result['error'])
        sys.exit(1)
    try:
        import numpy
        result['numpy'] = numpy.__version__
    except Exception:  # noqa: BLE001
        pass
    result['tool'] = ops.tool
    result['device'] = ops.device_name
    log(f"tool {ops.tool} on {ops.device_name}" + (f" ({result['fallbackReason']})" if 'fallbackReason' in result else ''))
    save()
    deadline = spec['deadlineSeconds']
    for w in spec['workloads']:
        row = {'key': w['key'], 'kind': w['kind'], 'tool': ops.tool, 'unit': w['unit']}
        if time.time() - T0 >= deadline:
            row.update(status='skipped', reason=f'the reference deadline ({deadline:.0f} s) passed')
        else:
            try:
                r = KINDS[w['kind']](ops, w, spec['minSeconds'], deadline)
                ok = r.pop('ok')
                row.update(status='ok' if ok else 'failed', **r)
                if not ok:
                    row['reason'] = f"result check failed: {r['check']}"
            except Exception as e:  # noqa: BLE001
                row.update(status='failed', reason=f'{type(e).__name__}: {e}')
                result['errors'].append({'key': w['key'], 'trace': traceback.format_exc()[-2000:]})
        result['rows'].append(row)
        log(f"{row['key']}: {row['status']}" + (f" {row['rate']:.0f} {row['unit']}" if 'rate' in row else '') + (f" ({row['reason']})" if 'reason' in row else ''))
        save()
    result['finished'] = time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())
    save()


if __name__ == '__main__':
    main()
