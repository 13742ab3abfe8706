#!/usr/bin/env python3
"""Plain numpy references for rbmlab's dense-memory and higher-order workloads (packages/bench).

Each task reads the model that the bench wrote (rbmlab.dense/1 or rbmlab.hobm/1 JSON), does the
same work as rbmlab, and prints one JSON line. This is what a careful numpy user writes, not a
tuned kernel:

  heatbath    single-site heat bath of a dense memory, one chain from a random state, sites
              0..N-1 in order; the overlaps x = xi sigma are kept incrementally (integers held in
              float64) and each site is one vectorized pass over the P patterns:
                a = x - xi_i sigma_i,  Delta_i = c sum_mu xi^mu_i G(a),  G(a) = F(a + 1) - F(a - 1),
                sigma_i = +1 with probability sigmoid(beta Delta_i); x += xi_i (new - old).
              F(x) = x^p (c = 1 for krotov, N^(1-p)/p for normalized). --variant table looks G up
              in a table over the 2N - 1 values of a (rbmlab's algorithm); --variant pow evaluates
              (a + 1)**p - (a - 1)**p each time (the first thing one writes). Reports site updates/s.
  dense-enum  exact log Z of a dense memory over all 2^N states: blocks of 2^16 states, overlaps
              by one matrix product per block, logsumexp accumulated.
  hobm-enum   exact log Z of a higher-order Boltzmann machine over all 2^N states, either
              "direct" (per block, each coupling's product of state columns, summed) or "fwht"
              (the same fast Walsh-Hadamard / subset-sum transform of the coupling vector that
              rbmlab uses, written with numpy reshapes).
"""
import argparse, json, time
import numpy as np


def logsumexp(v):
    m = np.max(v)
    return m + np.log(np.sum(np.exp(v - m)))


class LogSumExp:
    def __init__(self):
        self.m = -np.inf
        self.s = 0.0

    def add(self, v):
        bm = np.max(v)
        if bm > self.m:
            self.s *= np.exp(self.m - bm)
            self.m = bm
        self.s += np.sum(np.exp(v - self.m))

    def value(self):
        return self.m + np.log(self.s)


def dense_model(path):
    m = json.load(open(path))
    assert m['format'] == 'rbmlab.dense/1'
    e = m['energy']
    assert e['F'] == 'power', 'reference covers F power'
    n, p = m['size'], e['p']
    c = n ** (1 - p) / p if e['kind'] == 'normalized' else 1.0
    return np.array(m['patterns'], dtype=np.float64), p, c, m.get('beta', 1.0)


def task_heatbath(a):
    xi, p, c, beta = dense_model(a.model)
    P, N = xi.shape
    rng = np.random.default_rng(a.seed)
    sigma = np.where(rng.random(N) < 0.5, -1.0, 1.0)
    x = xi @ sigma
    xi_t = np.ascontiguousarray(xi.T)  # N x P: site i's pattern values contiguous
    a_values = np.arange(-(N - 1), N, dtype=np.float64)
    table = (a_values + 1.0) ** p - (a_values - 1.0) ** p  # G(a) at index a + N - 1
    xi_t_int = xi_t.astype(np.int64)
    xi_int = np.rint(x).astype(np.int64)  # integer overlaps for the table variant

    def sweep():
        u = rng.random(N)
        for i in range(N):
            col = xi_t[i]
            s = sigma[i]
            if a.variant == 'table':
                delta = c * np.dot(col, table[xi_int - xi_t_int[i] * int(s) + (N - 1)])
            else:
                a_ = x - col * s
                delta = c * np.dot(col, (a_ + 1.0) ** p - (a_ - 1.0) ** p)
            new = 1.0 if u[i] * (1.0 + np.exp(-beta * delta)) < 1.0 else -1.0
            if new != s:
                if a.variant == 'table':
                    xi_int[:] += xi_t_int[i] * int(new - s)
                else:
                    x[:] += col * (new - s)
                sigma[i] = new

    sweep()  # warm-up
    t = time.perf_counter()
    for _ in range(a.sweeps):
        sweep()
    sec = time.perf_counter() - t
    return dict(seconds=sec, sweeps=a.sweeps, variant=a.variant, site_updates_per_s=N * a.sweeps / sec)


def state_block(start, count, n, low, high):
    """count x n states, unit k of state s = high if bit k of s is set else low."""
    s = np.arange(start, start + count, dtype=np.int64)[:, None]
    bits = (s >> np.arange(n, dtype=np.int64)[None, :]) & 1
    return np.where(bits == 1, high, low).astype(np.float64)


def task_dense_enum(a):
    xi, p, c, beta = dense_model(a.model)
    P, N = xi.shape
    t = time.perf_counter()
    acc = LogSumExp()
    block = min(2 ** N, 2 ** 16)
    for start in range(0, 2 ** N, block):
        x = state_block(start, block, N, -1.0, 1.0) @ xi.T  # block x P
        acc.add(beta * c * np.sum(x ** p, axis=1))
    sec = time.perf_counter() - t
    return dict(seconds=sec, logZ=float(acc.value()))


def task_hobm_enum(a):
    m = json.load(open(a.model))
    assert m['format'] == 'rbmlab.hobm/1'
    v = m['visible']
    n, spin = v['size'], v['type'] == 'spin'
    bias = np.array(v.get('bias', [0.0] * n))
    beta = m.get('beta', 1.0)
    couplings = [(list(c['sites']), c['J']) for c in m['couplings']]
    t = time.perf_counter()
    if a.method == 'direct':
        acc = LogSumExp()
        block = min(2 ** n, 2 ** 16)
        for start in range(0, 2 ** n, block):
            s = state_block(start, block, n, -1.0 if spin else 0.0, 1.0)
            minus_e = s @ bias
            for sites, j in couplings:
                minus_e += j * np.prod(s[:, sites], axis=1)
            acc.add(beta * minus_e)
        logz = acc.value()
    else:
        c = np.zeros(2 ** n)
        for i in range(n):
            c[1 << i] += bias[i]
        for sites, j in couplings:
            c[sum(1 << i for i in sites)] += j
        for k in range(n):
            r = c.reshape(-1, 2, 2 ** k)
            lo, hi = r[:, 0, :], r[:, 1, :]
            c = np.stack((lo - hi, lo + hi) if spin else (lo, lo + hi), axis=1).reshape(-1)
        logz = logsumexp(beta * c)
    sec = time.perf_counter() - t
    return dict(seconds=sec, logZ=float(logz), method=a.method)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('task', choices=['heatbath', 'dense-enum', 'hobm-enum'])
    ap.add_argument('--model', required=True)
    ap.add_argument('--sweeps', type=int, default=2)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--method', choices=['direct', 'fwht'], default='direct')
    ap.add_argument('--variant', choices=['table', 'pow'], default='table')
    a = ap.parse_args()
    out = {'heatbath': task_heatbath, 'dense-enum': task_dense_enum, 'hobm-enum': task_hobm_enum}[a.task](a)
    print(json.dumps(out))


if __name__ == '__main__':
    main()
