/**
 * The heat bath of a dense associative memory (core's DenseDynamics, MODELS.md §3) over parallel
 * chains on the device. Sites are visited in the order 0 .. N-1 in every chain, as core's
 * sequential sweep; chains run in parallel. For site i of chain c, with overlaps x_mu = xi^mu . s:
 *
 *     Delta_i = sum_mu xi^mu_i D(x_mu - xi^mu_i s_i),   D(a) = c [f(a + 1) - f(a - 1)]
 *     s_i <- +1 with probability sigmoid(beta Delta_i), else -1
 *
 * D comes from core's differenceTable as sign and log|D|, and the sum is formed in the log domain
 * as core does where direct sums could overflow: M = max log|D|, S = sum xi sign e^(log|D| - M),
 * beta Delta = sign(S) e^(log beta + M + log|S|) (float32: overflow to +-Infinity gives a sure
 * state, never NaN). The kernel takes log beta, not beta: beta itself would be a float32 argument,
 * 0 below 1.4e-45 (and below 1.2e-38 on GL, which flushes denormals), so a Krotov F = exp model at
 * N >= 100, whose interesting beta is about e^-N, would run a fair coin; log beta is a finite
 * float32 for every beta > 0 of float64 (>= -744.5). beta = 0 is a separate flag (a fair coin). Each site is two kernels: the spins (chains x N, only column i changes) and
 * the overlaps (chains x P, x_mu += (s_new - s_old) xi^mu_i, exact small integers in float32).
 * Two copies of each kernel alternate so that no call reads the texture it writes.
 *
 * Uniforms: one per (chain, site) per sweep from core's stream createRng(seed).split("uniforms"),
 * uploaded as a texture once per sweep. Precision: Delta in float32, so P(+1) differs from core's
 * float64 value by about 2^-24 (|log|D|| + log P) relative; the states can differ from core's
 * only where that decides a comparison.
 */
import { createRng, differenceTable, type DenseAssociativeMemory, type Rng, type Seed } from '@rbmlab/core';
import { checkIndexRange, flatten2d, type GpuBackend, type GpuKernelRun } from './backend';
import { GpuLimitError } from './errors';
import { checkChains, MAX_CHAINS } from './gibbs';

export interface GpuDenseOptions {
  readonly chains: number;
  readonly seed: Seed;
  /** Initial states, chains x N, values +-1; default uniformly random from the seed's "init" stream. */
  readonly init?: ArrayLike<number>;
}

export class GpuDenseHeatBath {
  readonly chains: number;
  readonly tag: string;
  private readonly rng: Rng;
  private readonly n: number;
  private readonly p: number;
  private readonly patternsTexture: unknown;
  private readonly sign: Float32Array;
  private readonly logAbs: Float32Array;
  private readonly uniforms: Float32Array;
  private readonly scratch: Float64Array;
  private readonly spinKernels: [GpuKernelRun, GpuKernelRun];
  private readonly overlapKernels: [GpuKernelRun, GpuKernelRun];
  private readonly keys: string[];
  private spinsTexture: unknown;
  private overlapsTexture: unknown;
  private parity = 0;

  constructor(
    readonly backend: GpuBackend,
    readonly model: DenseAssociativeMemory,
    options: GpuDenseOptions,
  ) {
    const { chains } = options;
    const n = model.size;
    const p = model.numPatterns;
    checkChains(chains);
    if (n > MAX_CHAINS || p > MAX_CHAINS) throw new GpuLimitError(`the GPU heat bath needs N <= ${MAX_CHAINS} and P <= ${MAX_CHAINS}, got N = ${n}, P = ${p}`);
    checkIndexRange(chains * Math.max(n, p), 'the chains');
    this.chains = chains;
    this.n = n;
    this.p = p;
    this.tag = backend.newTag('dense');
    const root = createRng(options.seed);
    this.rng = root.split('uniforms');
    let init: ArrayLike<number>;
    if (options.init !== undefined) {
      if (options.init.length !== chains * n) throw new RangeError(`init has ${options.init.length} values, expected ${chains} chains x ${n} spins`);
      for (let k = 0; k < options.init.length; k++) {
        if (options.init[k] !== 1 && options.init[k] !== -1) throw new RangeError(`initial state value ${k} must be 1 or -1, got ${options.init[k]}`);
      }
      init = options.init;
    } else {
      const r = root.split('init');
      init = Float64Array.from({ length: chains * n }, () => (r.uniform() < 0.5 ? -1 : 1));
    }
    const table = differenceTable(model.energyConvention, n);
    this.sign = Float32Array.from(table.sign);
    // -Infinity (D = 0) as a large negative float32; such terms are skipped by their sign anyway
    this.logAbs = Float32Array.from(table.logAbs, (l) => (l === -Infinity ? -1e30 : l));
    this.uniforms = new Float32Array(chains * n);
    this.scratch = new Float64Array(chains * n);
    this.patternsTexture = backend.upload(`${this.tag}patterns`, model.patterns, p, n);
    this.spinsTexture = backend.upload(`${this.tag}spins`, init, chains, n);
    this.overlapsTexture = backend.upload(`${this.tag}overlaps`, model.overlaps(init, chains), chains, p);
    const off = n - 1;
    // hot: 1 for beta > 0 (then logBeta = log beta), 0 for beta = 0 (a fair coin)
    const spinSource = `function (s, x, xi, sgn, labs, u, site, logBeta, hot) {
      const j = this.thread.x;
      const c = this.thread.y;
      const old = s[c][j];
      if (j !== site) {
        return old;
      }
      let mx = -1e30;
      for (let mu = 0; mu < ${p}; mu++) {
        const xm = xi[mu][j];
        const k = x[c][mu] - xm * old + ${off};
        if (sgn[k] !== 0) {
          mx = Math.max(mx, labs[k]);
        }
      }
      let sum = 0;
      for (let mu = 0; mu < ${p}; mu++) {
        const xm = xi[mu][j];
        const k = x[c][mu] - xm * old + ${off};
        if (sgn[k] !== 0) {
          sum += xm * sgn[k] * Math.exp(labs[k] - mx);
        }
      }
      let pr = 0.5;
      if (sum !== 0 && hot > 0) {
        const bd = Math.exp(logBeta + mx + Math.log(Math.abs(sum)));
        if (sum > 0) {
          pr = 1 / (1 + Math.exp(-bd));
        } else {
          pr = 1 / (1 + Math.exp(bd));
        }
      }
      if (u[c][j] < pr) {
        return 1;
      }
      return -1;
    }`;
    const overlapSource = `function (x, sNew, sOld, xi, site) {
      const mu = this.thread.x;
      const c = this.thread.y;
      return x[c][mu] + (sNew[c][site] - sOld[c][site]) * xi[mu][site];
    }`;
    const key = (name: string) => `${this.tag}${name}/${chains}/${n}/${p}`;
    this.keys = [key('spinA'), key('spinB'), key('overlapA'), key('overlapB')];
    this.spinKernels = [backend.kernel(this.keys[0], spinSource, [n, chains], true), backend.kernel(this.keys[1], spinSource, [n, chains], true)];
    this.overlapKernels = [backend.kernel(this.keys[2], overlapSource, [p, chains], true), backend.kernel(this.keys[3], overlapSource, [p, chains], true)];
  }

  /**
   * `count` heat-bath sweeps at inverse temperature `beta` (default the model's): sites 0 .. N-1
   * in turn, each in all chains at once.
   */
  heatBath(count = 1, beta = this.model.beta): void {
    if (!(Number.isInteger(count) && count >= 0)) throw new RangeError(`sweeps must be a non-negative integer, got ${count}`);
    if (!(Number.isFinite(beta) && beta >= 0)) throw new GpuLimitError(`beta must be a finite number >= 0, got ${beta}`);
    const { backend, n } = this;
    // log beta: finite in float32 for every float64 beta > 0 (beta itself would flush to 0 below 1.4e-45)
    const hot = beta > 0 ? 1 : 0;
    const logBeta = beta > 0 ? Math.log(beta) : 0;
    for (let s = 0; s < count; s++) {
      this.rng.fillUniform(this.scratch);
      this.uniforms.set(this.scratch);
      const u = backend.upload(`${this.tag}uniforms`, this.uniforms, this.chains, n);
      for (let site = 0; site < n; site++) {
        const t = this.parity;
        const old = this.spinsTexture;
        const spins = backend.run(this.keys[t], this.spinKernels[t], old, this.overlapsTexture, this.patternsTexture, this.sign, this.logAbs, u, site, logBeta, hot);
        this.overlapsTexture = backend.run(this.keys[2 + t], this.overlapKernels[t], this.overlapsTexture, spins, old, this.patternsTexture, site);
        this.spinsTexture = spins;
        this.parity = 1 - t;
      }
    }
  }

  /** Heat-bath sweeps at the model's beta (the Sampler shape). */
  sweep(count = 1): void {
    this.heatBath(count);
  }

  /** Frees this sampler's kernels and textures on the device; it cannot be used afterwards. */
  dispose(): void {
    this.backend.release(this.tag);
  }

  /** Spins read back, chains x N, values +-1. */
  states(): Float64Array {
    return flatten2d(this.spinsTexture, this.chains, this.n) as Float64Array;
  }

  /** Overlaps x_mu = xi^mu . s read back, chains x P (exact integers). */
  overlaps(): Float64Array {
    return flatten2d(this.overlapsTexture, this.chains, this.p) as Float64Array;
  }
}
