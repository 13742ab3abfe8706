/**
 * Single-site dynamics of a dense associative memory (core's DenseDynamics, MODELS.md §3) over
 * parallel chains on the device: the heat bath at inverse temperature beta, and zero-temperature
 * asynchronous updates (sigma_i <- sign(Delta_i), ties keep the spin) until a fixed point. For
 * site i of chain c, with overlaps x_mu = xi^mu . s,
 *
 *     Delta_i = sum_mu xi^mu_i D(x_mu - xi^mu_i s_i),   D(a) = c [f(a + 1) - f(a - 1)] = c G(a)
 *
 * Sites are visited in the order of the sweep (0 .. N-1 for the heat bath, as core's sequential
 * sweep; a permutation given per sweep for the zero-temperature dynamics), in every chain at
 * once. A sweep is a sequence of blocks of four consecutive positions of that order; per block:
 *   A  one thread per chain updates the block's four sites one after the other: the overlaps it
 *      reads are those before the block, corrected in the thread by the flips of the sites before
 *      it in the block (so the four updates are sequential, exactly as one at a time); it writes
 *      the four new spins into a window of pending blocks (WINDOW texels per chain);
 *   B  one thread per (chain, four patterns) adds the block's flips to the overlaps, x_mu +=
 *      (s_new - s_old) xi^mu_i, exact small integers in float32, and counts the chain's flips of
 *      the sweep in one more texel;
 *   C  every WINDOW blocks, and at the end of a sweep, one thread per (chain, four sites) copies
 *      the window's new spins into the spins.
 * The spins are therefore rewritten once per window instead of once per site (an N^2 cost per
 * sweep), and a sweep is 2 N / 4 kernel calls plus N / (4 WINDOW) copies. Two copies of each
 * kernel alternate, so that no call reads the texture it writes.
 *
 * Delta: where G holds integers and P max|G| < 2^36 (the power F with an integer p at moderate N
 * and P: Hopfield's p = 2 up to N P < 2^34), the sum of G is formed exactly from 12-bit limbs,
 * G = 4096 gh + gl, two float32 sums of exact integers; so its sign, and every tie Delta_i = 0,
 * is exact, as in core's direct sums, and zero-temperature runs take core's steps (tested). Else
 * the sum is formed in the log domain, sign(D) and log|D| from core's differenceTable, with a
 * running maximum (one pass): beta Delta = sign(S) e^(log beta + M + log|S|), overflowing to a
 * sure state, never NaN; a tie within float32 rounding can then go either way.
 *
 * The kernel takes log beta, not beta: as a float32 argument beta was 0 below 1.4e-45 (1.2e-38 on
 * GL, which flushes denormals), so a Krotov F = exp model at N >= 100, whose interesting beta is
 * about e^-N, ran a fair coin; log beta is a finite float32 for every beta > 0 of float64.
 * beta = 0 is a fair coin.
 *
 * Random numbers: the heat bath's uniform of site i of chain c in sweep t is word (i mod 4) of the
 * counter-based generator's evaluation at (floor(i / 4), c, t mod 2^22, 64 (2 + 8 floor(t / 2^22)))
 * (purpose COUNTER_PURPOSE.heatBath) under the key deviceKey(createRng(seed).split('device')):
 * made in the kernel, the same in every mode. The random start comes from the host stream
 * createRng(seed).split('init').
 */
import { COUNTER_LAYOUT, COUNTER_PURPOSE, createRng, deviceKey, differenceTable, type DenseAssociativeMemory, type Seed } from '@rbmlab/core';
import { flatten1d, MAX_FLAT_INDEX, type GpuBackend, type GpuKernelRun } from './backend';
import { msfCode, sweepArguments, uniformCode } from './counter-rng';
import { GpuLimitError } from './errors';
import { checkChains, MAX_CHAINS } from './gibbs';
import { LANES, vec4Access, type Vec4Access } from './vec4';

/**
 * Options of GpuDenseHeatBath: the number of chains, the seed of the random start and of the device
 * generator, and initial states.
 */
export interface GpuDenseOptions {
  readonly chains: number;
  readonly seed: Seed;
  /** Initial states, chains x N, values +-1; default uniformly random from the seed's "init" stream. */
  readonly init?: ArrayLike<number>;
}

/**
 * The difference tables (2N - 1 entries) are uploaded in rows of this many entries: a 1 x (2N - 1)
 * texture would pass gpu.js's 16384 per side for N > 8192.
 */
const TABLE_ROW = 4096;

/** Largest P max|G| for which the limb sums of G are exact integers in float32. */
const EXACT_SUM_LIMIT = 2 ** 36;

/**
 * Why GpuDenseHeatBath cannot hold `chains` chains of a memory of N = `size` spins and P =
 * `patterns` patterns (one line), or undefined where it can: N and P at most MAX_CHAINS (a side
 * of a gpu.js output), and the spins (chains x N), overlaps (chains x (P + 4)) and patterns
 * (N x P), padded to texels of four, below the 2^24 flat indices of float32.
 */
export function denseDynamicsLimit(size: number, patterns: number, chains: number): string | undefined {
  if (chains > MAX_CHAINS) return `${chains} chains; the GPU kernels take at most ${MAX_CHAINS} (gpu.js outputs are at most 16384 per side)`;
  if (size > MAX_CHAINS || patterns > MAX_CHAINS) return `the GPU heat bath needs N <= ${MAX_CHAINS} and P <= ${MAX_CHAINS}, got N = ${size}, P = ${patterns}`;
  const n4 = Math.ceil(size / 4);
  const p4 = Math.ceil(patterns / 4);
  const arrays: [number, string][] = [
    [chains * (p4 + 1) * 4, 'the overlaps (chains x patterns)'],
    [chains * n4 * 4, 'the spins (chains x N)'],
    [size * p4 * 4, 'the patterns (N x P)'],
  ];
  for (const [length, what] of arrays) {
    if (length >= MAX_FLAT_INDEX) return `${what} has ${length} entries; gpu.js kernels here index at most 2^24 (float32 indices)`;
  }
  return undefined;
}

/** Lane `lane` (an expression in 0..3) of a texel, by a one-hot selector (no branch per lane). */
function laneOf(t: Vec4Access, name: string, expr: string, lane: string): string {
  return `(${LANES.map((k) => `${t.at(name, expr, k)} * (${lane} > ${k - 0.5} && ${lane} < ${k + 0.5} ? 1 : 0)`).join(' + ')})`;
}

/** Two kernels of one source that take turns, so that a call never reads the texture it writes. */
interface PingPong {
  readonly keys: [string, string];
  readonly kernels: [GpuKernelRun, GpuKernelRun];
  parity: number;
}

/**
 * Heat-bath and zero-temperature dynamics of a dense associative memory on the device, `chains`
 * chains at once (core's DenseDynamics; Backend.denseDynamics of the gpu backend). Spins (chains x N,
 * +-1) and overlaps x_mu = xi^mu . s stay on the device until read; Delta is summed exactly from
 * integer limbs or in the log domain (`sum`).
 */
export class GpuDenseHeatBath {
  readonly chains: number;
  readonly tag: string;
  /** The generator's key (two 22-bit words from createRng(seed).split('device')). */
  readonly key: readonly [number, number];
  /** Whether Delta is summed exactly from integer limbs ('exact') or in the log domain ('log'). */
  readonly sum: 'exact' | 'log';
  private readonly n: number;
  private readonly p: number;
  private readonly n4: number;
  private readonly p4: number;
  /** Blocks of the window of pending new spins. */
  private readonly window: number;
  /** Patterns packed along the patterns: row i holds xi^mu_i for mu = 4 mu4 + k. */
  private readonly patternsTexture: unknown;
  /** The difference table: [gh, gl] (exact) or [sign, log|D|] (log), 2N - 1 entries each. */
  private readonly tables: [unknown, unknown];
  /** log c of D = c G (exact sums), 0 for the log domain (log|D| has it). */
  private readonly logScale: number;
  private readonly update: PingPong;
  private readonly overlap: PingPong;
  private readonly copy: PingPong;
  private readonly flipsKey: string;
  private readonly flipsKernel: GpuKernelRun;
  private spinsTexture: unknown;
  /** Overlaps (P4 texels) and the sweep's flip count (one more texel), per chain. */
  private overlapsTexture: unknown;
  private pendingTexture: unknown;
  /** The identity order's textures (sites by position, positions by site), uploaded once. */
  private readonly identity: [unknown, unknown];
  private sweeps = 0;

  constructor(
    readonly backend: GpuBackend,
    readonly model: DenseAssociativeMemory,
    options: GpuDenseOptions,
  ) {
    const { chains } = options;
    const n = model.size;
    const p = model.numPatterns;
    checkChains(chains);
    const limit = denseDynamicsLimit(n, p, chains);
    if (limit !== undefined) throw new GpuLimitError(limit);
    this.chains = chains;
    this.n = n;
    this.p = p;
    this.n4 = Math.ceil(n / 4);
    this.p4 = Math.ceil(p / 4);
    this.window = Math.max(1, Math.min(this.n4, Math.round(Math.sqrt(this.n4))));
    this.tag = backend.newTag('dense');
    const root = createRng(options.seed);
    this.key = deviceKey(root.split('device'));
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
    const g = table.g;
    const maxG = g === undefined ? Infinity : g.reduce((a, v) => Math.max(a, Math.abs(v)), 0);
    const exact = g !== undefined && g.every(Number.isInteger) && p * maxG < EXACT_SUM_LIMIT && p < 4096;
    this.sum = exact ? 'exact' : 'log';
    if (exact) {
      const gh = Float64Array.from(g as Float64Array, (v) => Math.floor(v / 4096));
      const gl = Float64Array.from(g as Float64Array, (v, k) => v - 4096 * gh[k]);
      this.tables = [this.uploadTable('gh', gh), this.uploadTable('gl', gl)];
      this.logScale = table.logScale;
    } else {
      // -Infinity (D = 0) as a large negative float32; such terms are skipped by their sign anyway
      const labs = Float64Array.from(table.logAbs, (l) => (l === -Infinity ? -1e30 : l));
      this.tables = [this.uploadTable('sign', table.sign), this.uploadTable('labs', labs)];
      this.logScale = 0;
    }
    // patterns transposed: row i holds xi^mu_i, packed along mu
    const xt = new Float64Array(n * p);
    for (let mu = 0; mu < p; mu++) for (let i = 0; i < n; i++) xt[i * p + mu] = model.patterns[mu * n + i];
    this.patternsTexture = backend.uploadPacked(`${this.tag}patterns`, xt, n, p);
    this.spinsTexture = backend.uploadPacked(`${this.tag}spins`, init, chains, n);
    // overlaps and one texel for the sweep's flip count (0)
    const x = model.overlaps(init, chains);
    const xf = new Float64Array(chains * (this.p4 + 1) * 4);
    for (let c = 0; c < chains; c++) for (let mu = 0; mu < p; mu++) xf[c * (this.p4 + 1) * 4 + mu] = x[c * p + mu];
    this.overlapsTexture = backend.uploadPacked(`${this.tag}overlaps`, xf, chains, (this.p4 + 1) * 4);
    const ids = Float64Array.from({ length: n }, (_, k) => k);
    this.identity = [backend.uploadPacked(`${this.tag}order`, ids, 1, n, -1), backend.uploadPacked(`${this.tag}position`, ids, 1, n, -1)];
    const mode = backend.mode;
    const shape = `${chains}/${n}/${p}`;
    const pair = (name: string, source: string, output: number[]): PingPong => {
      const keys: [string, string] = [`${this.tag}${name}A/${shape}`, `${this.tag}${name}B/${shape}`];
      return { keys, kernels: [backend.kernel(keys[0], source, output, true, 'Array(4)'), backend.kernel(keys[1], source, output, true, 'Array(4)')], parity: 0 };
    };
    this.update = pair('update', this.updateSource(mode), [this.window, chains]);
    this.overlap = pair('overlap', this.overlapSource(mode), [this.p4 + 1, chains]);
    this.copy = pair('copy', this.copySource(mode), [this.n4, chains]);
    this.pendingTexture = backend.uploadPacked(`${this.tag}pending`, new Float64Array(chains * this.window * 4), chains, this.window * 4);
    this.flipsKey = `${this.tag}flips/${shape}`;
    const t = vec4Access(mode);
    this.flipsKernel = backend.kernel(this.flipsKey, `function (x) {
      ${t.declare('fv', `x[this.thread.x][${this.p4}]`)}
      return ${t.at('fv', `x[this.thread.x][${this.p4}]`, 0)};
    }`, [chains], false);
  }

  /** A difference table, 2N - 1 entries, as rows of TABLE_ROW (zeros past its end). */
  private uploadTable(name: string, values: ArrayLike<number>): unknown {
    const rows = Math.ceil(values.length / TABLE_ROW);
    const padded = new Float64Array(rows * TABLE_ROW);
    for (let k = 0; k < values.length; k++) padded[k] = values[k];
    return this.backend.upload(`${this.tag}${name}`, padded, rows, TABLE_ROW);
  }

  /**
   * Kernel A: thread (q, c) copies pending texel q of chain c, except q = slot, where it updates
   * the four sites at positions 4 b .. 4 b + 3 of the order, one after the other.
   */
  private updateSource(mode: GpuBackend['mode']): string {
    const t = vec4Access(mode);
    const n = this.n;
    const off = n - 1;
    const sites = 'order[0][b]';
    const lane = (l: number) => {
      // overlap of the four patterns of texel mu4, corrected by the flips of the earlier sites of the block
      const xcorr = (m: number) =>
        [`${t.at('xv', 'x[c][mu4]', m)}`, ...Array.from({ length: l }, (_, e) => `ds${e} * ${t.at(`pe${e}`, `xi[site${e}][mu4]`, m)}`)].join(' + ');
      const earlier = Array.from({ length: l }, (_, e) => t.declare(`pe${e}`, `xi[site${e}][mu4]`)).join('\n          ');
      const term = (m: number) => {
        const xim = t.at(`pv${l}`, `xi[site${l}][mu4]`, m);
        const k = `xo${m}`;
        const body =
          this.sum === 'exact'
            ? `hi${l} += ${xim} * ta[${k}r][${k} - ${k}r * ${TABLE_ROW}];
            lo${l} += ${xim} * tb[${k}r][${k} - ${k}r * ${TABLE_ROW}];`
            : `const sg${m} = ta[${k}r][${k} - ${k}r * ${TABLE_ROW}];
            if (sg${m} !== 0) {
              const lg${m} = tb[${k}r][${k} - ${k}r * ${TABLE_ROW}];
              const tm${m} = ${xim} * sg${m};
              if (lg${m} > mx${l}) {
                sm${l} = sm${l} * Math.exp(mx${l} - lg${m}) + tm${m};
                mx${l} = lg${m};
              } else {
                sm${l} += tm${m} * Math.exp(lg${m} - mx${l});
              }
            }`;
        return `if (${xim} !== 0) {
            const ${k} = ${xcorr(m)} - ${xim} * old${l} + ${off};
            const ${k}r = Math.floor(${k} * ${1 / TABLE_ROW});
            ${body}
          }`;
      };
      const decide =
        this.sum === 'exact'
          ? `const s${l} = hi${l} * 4096 + lo${l};
      let sg${l} = 0;
      if (s${l} > 0) {
        sg${l} = 1;
      }
      if (s${l} < 0) {
        sg${l} = -1;
      }
      const la${l} = logScale + Math.log(Math.abs(s${l}));`
          : `let sg${l} = 0;
      if (sm${l} > 0) {
        sg${l} = 1;
      }
      if (sm${l} < 0) {
        sg${l} = -1;
      }
      const la${l} = mx${l} + Math.log(Math.abs(sm${l}));`;
      const accumulators = this.sum === 'exact' ? `let hi${l} = 0;\n      let lo${l} = 0;` : `let mx${l} = -1e30;\n      let sm${l} = 0;`;
      return `
      // site ${l} of the block
      const site${l} = ${t.at('ov', sites, l)};
      let new${l} = 0;
      let ds${l} = 0;
      let old${l} = 0;
      if (site${l} > -0.5) {
        const b4${l} = Math.floor(site${l} * 0.25);
        const q${l} = site${l} - b4${l} * 4;
        ${t.declare(`sv${l}`, `s[c][b4${l}]`)}
        old${l} = ${laneOf(t, `sv${l}`, `s[c][b4${l}]`, `q${l}`)};
        ${accumulators}
        for (let mu4 = 0; mu4 < ${this.p4}; mu4++) {
          ${t.declare('xv', 'x[c][mu4]')}
          ${t.declare(`pv${l}`, `xi[site${l}][mu4]`)}
          ${earlier}
          ${LANES.map(term).join('\n          ')}
        }
        ${decide}
        new${l} = old${l};
        if (zero > 0.5) {
          if (sg${l} !== 0) {
            new${l} = sg${l};
          }
        } else {
          let pr${l} = 0.5;
          if (sg${l} !== 0 && hot > 0.5) {
            const bd${l} = Math.exp(logBeta + la${l});
            if (sg${l} > 0) {
              pr${l} = 1 / (1 + Math.exp(-bd${l}));
            } else {
              pr${l} = 1 / (1 + Math.exp(bd${l}));
            }
          }
          ${msfCode(`r${l}`, 'k0', 'k1', `b4${l}`, 'c', 'c2', 'c3')}
          const u${l} = ${uniformCode(`(r${l}0 * (q${l} < 0.5 ? 1 : 0) + r${l}1 * (q${l} > 0.5 && q${l} < 1.5 ? 1 : 0) + r${l}2 * (q${l} > 1.5 && q${l} < 2.5 ? 1 : 0) + r${l}3 * (q${l} > 2.5 ? 1 : 0))`)};
          new${l} = -1;
          if (u${l} < pr${l}) {
            new${l} = 1;
          }
        }
        ds${l} = new${l} - old${l};
      }`;
    };
    const table = this.sum === 'exact' ? 'ta, tb' : 'ta, tb';
    return `function (s, x, xi, order, pend, ${table}, k0, k1, c2, c3, slot, b, logBeta, hot, zero, logScale) {
      const q = this.thread.x;
      const c = this.thread.y;
      ${t.declare('pp', 'pend[c][q]')}
      if (q !== slot) {
        return [${LANES.map((k) => t.at('pp', 'pend[c][q]', k)).join(', ')}];
      }
      ${t.declare('ov', sites)}
      ${LANES.map(lane).join('\n')}
      return [new0, new1, new2, new3];
    }`;
  }

  /**
   * Kernel B: thread (mu4, c) adds the block's flips to the overlaps of patterns 4 mu4 .. + 3;
   * thread (P4, c) counts the chain's flips of the sweep (reset at block 0).
   */
  private overlapSource(mode: GpuBackend['mode']): string {
    const t = vec4Access(mode);
    const site = (l: number) => t.at('ov', 'order[0][b]', l);
    const flips = LANES.map((l) => `(site${l} > -0.5 && ${t.at('nv', 'pend[c][slot]', l)} !== old${l} ? 1 : 0)`).join(' + ');
    return `function (x, xi, order, pend, s, slot, b) {
      const mu4 = this.thread.x;
      const c = this.thread.y;
      ${t.declare('ov', 'order[0][b]')}
      ${t.declare('nv', 'pend[c][slot]')}
      ${t.declare('xv', 'x[c][mu4]')}
      ${LANES.map(
        (l) => `const site${l} = ${site(l)};
      let old${l} = 0;
      let ds${l} = 0;
      if (site${l} > -0.5) {
        const b4${l} = Math.floor(site${l} * 0.25);
        const q${l} = site${l} - b4${l} * 4;
        ${t.declare(`sv${l}`, `s[c][b4${l}]`)}
        old${l} = ${laneOf(t, `sv${l}`, `s[c][b4${l}]`, `q${l}`)};
        ds${l} = ${t.at('nv', 'pend[c][slot]', l)} - old${l};
      }`,
      ).join('\n      ')}
      if (mu4 > ${this.p4 - 0.5}) {
        let count = ${t.at('xv', 'x[c][mu4]', 0)};
        if (b < 0.5) {
          count = 0;
        }
        return [count + ${flips}, 0, 0, 0];
      }
      let y0 = ${t.at('xv', 'x[c][mu4]', 0)};
      let y1 = ${t.at('xv', 'x[c][mu4]', 1)};
      let y2 = ${t.at('xv', 'x[c][mu4]', 2)};
      let y3 = ${t.at('xv', 'x[c][mu4]', 3)};
      ${LANES.map(
        (l) => `if (ds${l} !== 0) {
        ${t.declare(`pe${l}`, `xi[site${l}][mu4]`)}
        ${LANES.map((m) => `y${m} += ds${l} * ${t.at(`pe${l}`, `xi[site${l}][mu4]`, m)};`).join('\n        ')}
      }`,
      ).join('\n      ')}
      return [y0, y1, y2, y3];
    }`;
  }

  /**
   * Kernel C: thread (i4, c) writes the spins of sites 4 i4 .. + 3: a site whose position in the
   * order lies in the window [start, start + 4 WINDOW) takes its new spin from the pending texels.
   */
  private copySource(mode: GpuBackend['mode']): string {
    const t = vec4Access(mode);
    const lane = (k: number) => `
      let s${k} = ${t.at('sv', 's[c][i4]', k)};
      const at${k} = ${t.at('pv', 'position[0][i4]', k)} - start;
      if (at${k} > -0.5 && at${k} < ${4 * this.window - 0.5} && at${k} < end - start) {
        const w${k} = Math.floor(at${k} * 0.25);
        const l${k} = at${k} - w${k} * 4;
        ${t.declare(`nv${k}`, `pend[c][w${k}]`)}
        s${k} = ${laneOf(t, `nv${k}`, `pend[c][w${k}]`, `l${k}`)};
      }`;
    return `function (s, pend, position, start, end) {
      const i4 = this.thread.x;
      const c = this.thread.y;
      ${t.declare('sv', 's[c][i4]')}
      ${t.declare('pv', 'position[0][i4]')}
      ${LANES.map(lane).join('')}
      return [s0, s1, s2, s3];
    }`;
  }

  /** Runs a kernel of a ping-pong pair and flips it. */
  private turn(pp: PingPong, ...args: unknown[]): unknown {
    const t = pp.parity;
    pp.parity = 1 - t;
    return this.backend.run(pp.keys[t], pp.kernels[t], ...args);
  }

  /** One sweep in the order of the textures [sites by position, positions by site]. */
  private runSweep(order: [unknown, unknown], zero: boolean, logBeta: number, hot: number): void {
    const [c2, c3] = sweepArguments(this.sweeps, COUNTER_PURPOSE.heatBath);
    for (let b = 0; b < this.n4; b++) {
      const slot = b % this.window;
      this.pendingTexture = this.turn(
        this.update,
        this.spinsTexture,
        this.overlapsTexture,
        this.patternsTexture,
        order[0],
        this.pendingTexture,
        this.tables[0],
        this.tables[1],
        this.key[0],
        this.key[1],
        c2,
        c3,
        slot,
        b,
        logBeta,
        hot,
        zero ? 1 : 0,
        this.logScale,
      );
      this.overlapsTexture = this.turn(this.overlap, this.overlapsTexture, this.patternsTexture, order[0], this.pendingTexture, this.spinsTexture, slot, b);
      if (slot === this.window - 1 || b === this.n4 - 1) {
        const start = 4 * (b - slot);
        this.spinsTexture = this.turn(this.copy, this.spinsTexture, this.pendingTexture, order[1], start, Math.min(this.n, 4 * (b + 1)));
      }
    }
    this.sweeps++;
  }

  /** Sweeps run so far (heat bath and zero temperature). */
  get sweepCount(): number {
    return this.sweeps;
  }

  /**
   * `count` heat-bath sweeps at inverse temperature `beta` (default the model's): sites 0 .. N-1
   * in turn, each in all chains at once.
   */
  heatBath(count = 1, beta = this.model.beta): void {
    if (!(Number.isInteger(count) && count >= 0)) throw new RangeError(`sweeps must be a non-negative integer, got ${count}`);
    if (!(Number.isFinite(beta) && beta >= 0)) throw new GpuLimitError(`beta must be a finite number >= 0, got ${beta}`);
    if (this.sweeps + count > COUNTER_LAYOUT.maxSweeps) throw new GpuLimitError(`more than ${COUNTER_LAYOUT.maxSweeps} sweeps exhaust the generator's counter`);
    // log beta: finite in float32 for every float64 beta > 0 (beta itself would flush to 0 below 1.4e-45)
    const hot = beta > 0 ? 1 : 0;
    const logBeta = beta > 0 ? Math.log(beta) : 0;
    for (let s = 0; s < count; s++) this.runSweep(this.identity, false, logBeta, hot);
  }

  /** Heat-bath sweeps at the model's beta (the Sampler shape). */
  sweep(count = 1): void {
    this.heatBath(count);
  }

  /**
   * One zero-temperature sweep in the order `order` (a permutation of 0 .. N-1, the same for
   * every chain; default 0 .. N-1): sigma_i <- sign(Delta_i), a tie keeps the spin. Returns the
   * number of spins each chain flipped.
   */
  zeroTemperature(order?: ArrayLike<number>): Float64Array {
    const textures = order === undefined ? this.identity : this.orderTextures(order);
    this.runSweep(textures, true, 0, 0);
    return flatten1d(this.backend.run(this.flipsKey, this.flipsKernel, this.overlapsTexture), this.chains);
  }

  /**
   * Zero-temperature sweeps until a sweep flips no spin in any chain or `maxSweeps` ran, each
   * sweep in the order orders(sweep) (default 0 .. N-1). Returns, per chain, the sweep (1-based)
   * of its first sweep without a flip (a chain at a fixed point stays there), or maxSweeps where
   * it had none; and whether every chain reached its fixed point.
   */
  relax(maxSweeps = 100, orders?: (sweep: number) => ArrayLike<number>): { sweeps: Float64Array; converged: boolean } {
    if (!(Number.isInteger(maxSweeps) && maxSweeps >= 1)) throw new RangeError(`maxSweeps must be a positive integer, got ${maxSweeps}`);
    const sweeps = new Float64Array(this.chains).fill(maxSweeps);
    const done = new Uint8Array(this.chains);
    let left = this.chains;
    for (let sweep = 1; sweep <= maxSweeps && left > 0; sweep++) {
      const flips = this.zeroTemperature(orders?.(sweep));
      for (let c = 0; c < this.chains; c++) {
        if (done[c] === 0 && flips[c] === 0) {
          done[c] = 1;
          sweeps[c] = sweep;
          left--;
        }
      }
    }
    return { sweeps, converged: left === 0 };
  }

  /** The textures of a sweep order: sites by position and positions by site (a permutation is checked). */
  private orderTextures(order: ArrayLike<number>): [unknown, unknown] {
    const n = this.n;
    if (order.length !== n) throw new RangeError(`order has ${order.length} sites, expected ${n}`);
    const position = new Float64Array(n).fill(-1);
    for (let k = 0; k < n; k++) {
      const i = order[k];
      if (!(Number.isInteger(i) && i >= 0 && i < n) || position[i] >= 0) throw new RangeError(`order is not a permutation of 0 .. ${n - 1} (position ${k}: ${i})`);
      position[i] = k;
    }
    return [this.backend.uploadPacked(`${this.tag}sweepOrder`, order, 1, n, -1), this.backend.uploadPacked(`${this.tag}sweepPosition`, position, 1, n, -1)];
  }

  /** Frees this sampler's kernels and textures on the device; it cannot be used afterwards. */
  dispose(): void {
    this.backend.release(this.tag);
  }

  /** Spins read back, chains x N, values +-1. */
  states(): Float64Array {
    return this.backend.readPacked(this.spinsTexture, this.chains, this.n, this.tag) as Float64Array;
  }

  /** Overlaps x_mu = xi^mu . s read back, chains x P (exact integers). */
  overlaps(): Float64Array {
    const all = this.backend.readPacked(this.overlapsTexture, this.chains, (this.p4 + 1) * 4, this.tag);
    const out = new Float64Array(this.chains * this.p);
    for (let c = 0; c < this.chains; c++) for (let mu = 0; mu < this.p; mu++) out[c * this.p + mu] = all[c * (this.p4 + 1) * 4 + mu];
    return out;
  }
}
