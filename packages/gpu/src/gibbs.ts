/**
 * Block Gibbs sampling of an RBM on the device (gpu.js pipeline mode): the weights, the unit
 * parameters and the chains stay in device textures between sweeps, and the random numbers are
 * made inside the kernels, so a sweep moves nothing between host and device; states come back
 * only when read (visible(), hidden()).
 *
 * A half-sweep is one kernel whose thread handles four units 4 j4 .. 4 j4 + 3 of one chain b
 * (packed textures, vec4.ts): it forms their inputs from the other layer's packed states and the
 * weights packed along the other layer (5 texel reads per 16 products), then draws the four units
 * (units.ts) with uniforms of the counter-based generator (counter-rng.ts, core's
 * random/counter.ts) at the counter
 *     (j4, b, sweep mod 2^22, draw + 64 (purpose + 8 floor(sweep / 2^22)))
 * under the sampler's key, two 22-bit words drawn from createRng(seed).split('device'); purpose 0
 * is the hidden and 1 the visible half-sweep of that sweep (COUNTER_PURPOSE). The same seed gives
 * the same uniforms to the bit in every mode (cpu, webasm, headlessgl, webgl2); states of two
 * modes differ only where float32 rounding of a probability decides a draw (tested). The initial
 * states come from the host stream createRng(seed).split('init'), uploaded once.
 *
 * Weights: two packed copies, W packed along the hidden units (row i of N, M4 texels: the visible
 * half-sweep's reads) and W^T packed along the visible units (row j of M, N4 texels: the hidden
 * half-sweep's), each padded to a multiple of four rows with zeros. Padded units (past a layer's
 * size, in its last texel) have zero weights and are drawn as 0, so they never enter a sum.
 *
 * Refused draws (poisson units: a mean above 80 or a non-finite input gives the draw -1, units.ts)
 * feed the next half-sweep, so after every half-sweep of such a layer a small kernel updates a
 * sticky per-chain flag on the device: 0, or the sweep (1-based) of the chain's first refused
 * draw. Every read-back (visible(), hidden(), and GpuPcd's) reads the flags first and throws
 * GpuLimitError if any chain is flagged, however many sweeps ago: never a silent -1.
 */
import { COUNTER_LAYOUT, COUNTER_PURPOSE, createRng, deviceKey, randomVisibleStates, type RBM, type Seed, type UnitLayer } from '@rbmlab/core';
import { checkIndexRange, flatten1d, type GpuBackend, type GpuKernelRun } from './backend';
import { msfCode, sweepArguments } from './counter-rng';
import { GpuLimitError } from './errors';
import { gpuUnitOf, unitParams, type GpuUnitKernel, type UnitCodeContext } from './units';
import { LANES, packedInputsCode, vec4Access } from './vec4';

/** Largest number of chains (and of units per layer): gpu.js outputs are at most 16384 per side. */
export const MAX_CHAINS = 16384;

/** Checks a count of chains (rows): RangeError if not a positive integer, GpuLimitError above 16384. */
export function checkChains(chains: number, what = 'chains'): void {
  if (!(Number.isInteger(chains) && chains >= 1)) throw new RangeError(`${what} must be a positive integer, got ${chains}`);
  if (chains > MAX_CHAINS) throw new GpuLimitError(`${what} is ${chains}; the GPU kernels take at most ${MAX_CHAINS} (gpu.js outputs are at most 16384 per side)`);
}

/** Options of GpuBlockGibbs (and GpuPcd): chains, seed and initial visible states. */
export interface GpuChainOptions {
  /** Number of independent chains (<= 16384). */
  readonly chains: number;
  /** Seed of the initial states and of the device generator's key (0 is a seed). */
  readonly seed: Seed;
  /** Initial visible states, chains x N; default a random start from the seed's "init" stream. */
  readonly init?: ArrayLike<number>;
}

/**
 * The code context of a unit in a kernel whose thread is (j4, b) and whose parameters are the
 * packed textures p0, p1, ... (read once into pv0, ... where the mode allows; vec4.ts), with the
 * key (k0, k1) and the counter words c2 and c3 (sweep and purpose) as kernel arguments.
 */
export function unitContext(backend: GpuBackend, unit: GpuUnitKernel): { declarations: string; ctx: UnitCodeContext } {
  const t = vec4Access(backend.mode);
  const declarations = unit.params.map((_, p) => t.declare(`pv${p}`, `p${p}[0][j4]`)).join('\n    ');
  const ctx: UnitCodeContext = {
    param: (p, k) => t.at(`pv${p}`, `p${p}[0][j4]`, k),
    evaluate: (out, draw) => msfCode(out, 'k0', 'k1', 'j4', 'b', 'c2', `c3 + ${draw}`),
  };
  return { declarations, ctx };
}

/** Statements zeroing the lanes of the last texel that lie past a layer of `size` units. */
export function paddingCode(size: number): string {
  const size4 = Math.ceil(size / 4);
  const used = size - 4 * (size4 - 1);
  if (used === 4) return '';
  return `if (j4 > ${size4 - 1.5}) {
      ${LANES.filter((k) => k >= used)
        .map((k) => `d${k} = 0;`)
        .join(' ')}
    }`;
}

/** The parameter list of a unit's kernel: ", p0, p1, ...". */
export function paramArgs(unit: GpuUnitKernel): string {
  return unit.params.map((_, p) => `, p${p}`).join('');
}

/** One layer's sampling kernel and its device parameters. */
export interface LayerKernel {
  readonly unit: GpuUnitKernel;
  readonly layer: UnitLayer;
  readonly role: 'visible' | 'hidden';
  readonly size: number;
  /** ceil(size / 4): texels per chain. */
  readonly size4: number;
  readonly key: string;
  readonly kernel: GpuKernelRun;
  /** Packed parameter textures (1 x size4 texels each), in unit.params order; PCD replaces the field's. */
  readonly params: unknown[];
  readonly purpose: number;
  /** The sticky per-chain flag of refused draws, for units that can refuse one (poisson). */
  readonly flag?: FailureFlag;
}

/** A per-chain flag on the device: two update kernels in turn, and the texture of the last one. */
interface FailureFlag {
  readonly keys: [string, string];
  readonly kernels: [GpuKernelRun, GpuKernelRun];
  texture: unknown;
  parity: number;
}

/** Largest sweep number a flag records exactly (float32 textures). */
const FLAG_MAX_SWEEP = 2 ** 24;

/** Uploads a layer's parameters as packed 1 x size4 textures (padded lanes from unit.paramPad). */
export function uploadParams(backend: GpuBackend, key: string, layer: UnitLayer, unit: GpuUnitKernel): unknown[] {
  return unitParams(layer, unit).map((values, p) => backend.uploadPacked(`${key}/p${p}`, values, 1, layer.size, unit.paramPad?.[p] ?? 0));
}

/**
 * The source of a kernel whose thread (j4, b) handles units 4 j4 .. 4 j4 + 3 of row b: `inputs`
 * declares their inputs x0 .. x3, then the unit's code (`sample` or `mean`, units.ts) sets d0 .. d3,
 * lanes past the layer's `size` are zeroed, and the four are returned. `args` are the arguments
 * before the key (k0, k1) and counter words (c2, c3) of a `sample` kernel, and before the unit's
 * parameters (p0, ...).
 */
export function laneKernelSource(backend: GpuBackend, unit: GpuUnitKernel, args: string, inputs: string, body: 'sample' | 'mean', size: number): string {
  const { declarations, ctx } = unitContext(backend, unit);
  // the generator's key and counter words, for draws only
  const random = body === 'sample' ? ', k0, k1, c2, c3' : '';
  return `function (${args}${random}${paramArgs(unit)}) {
    const j4 = this.thread.x;
    const b = this.thread.y;
    ${inputs}
    ${declarations}
    let d0 = 0;
    let d1 = 0;
    let d2 = 0;
    let d3 = 0;
    ${body === 'sample' ? unit.sample(ctx) : unit.mean(ctx)}
    ${paddingCode(size)}
    return [d0, d1, d2, d3];
  }`;
}

/**
 * Statements declaring x0 .. x3, the inputs of units 4 j4 .. 4 j4 + 3 from the packed states `s`
 * (row `row`) and the weights `w` packed along the other layer (row u: the K weights into unit u).
 */
export function packedInputs(backend: GpuBackend, inner: number, row: string): string {
  return `let x0 = 0;
    let x1 = 0;
    let x2 = 0;
    let x3 = 0;
    ${packedInputsCode(backend.mode, 'x', 's', 'w', Math.ceil(inner / 4), row, 'j4 * 4')}`;
}

/**
 * Kernel source of a half-sweep: thread (j4, b) draws units 4 j4 .. 4 j4 + 3 of chain b given the
 * other layer's packed states `s` (chains x K4 texels) and the weights `w` packed along the other
 * layer (row u: the K weights into unit u).
 */
function halfSweepSource(backend: GpuBackend, unit: GpuUnitKernel, inner: number, size: number): string {
  return laneKernelSource(backend, unit, 's, w', packedInputs(backend, inner, 'b'), 'sample', size);
}

/**
 * The half-sweep kernel of one layer of `rbm` for `chains` chains (thread (j4, b): units 4 j4 .. 4 j4 + 3 of
 * chain b, output size4 x chains texels), its packed parameter textures and, for units that can
 * refuse a draw (poisson), the sticky failure flag. Keys start with `tag`.
 */
export function layerKernel(backend: GpuBackend, role: 'hidden' | 'visible', layer: UnitLayer, rbm: RBM, chains: number, tag: string): LayerKernel {
  const unit = gpuUnitOf(layer, role);
  const n = rbm.numVisible;
  const m = rbm.numHidden;
  const [size, inner] = role === 'hidden' ? [m, n] : [n, m];
  const size4 = Math.ceil(size / 4);
  checkIndexRange(chains * size4 * 4, `the ${role} states (chains x units)`);
  const key = `${tag}${role}/${layer.type}/${chains}/${n}/${m}`;
  const kernel = backend.kernel(key, halfSweepSource(backend, unit, inner, size), [size4, chains], true, 'Array(4)');
  let flag: FailureFlag | undefined;
  if (unit.failure !== undefined) {
    // flag[b] = flag[b] if set, else `sweep` where a state of chain b is a refused draw, else 0
    const t = vec4Access(backend.mode);
    const texel = 's[b][j4]';
    const bad = LANES.map((k) => unit.failure?.bad(t.at('v', texel, k))).join(' || ');
    const source = `function (f, s, sweep) {
      const b = this.thread.x;
      let out = f[b];
      if (out === 0) {
        for (let j4 = 0; j4 < ${size4}; j4++) {
          ${t.declare('v', texel)}
          if (${bad}) {
            out = sweep;
            break;
          }
        }
      }
      return out;
    }`;
    const keys: [string, string] = [`${key}/flagA`, `${key}/flagB`];
    const zero = backend.kernel(`${key}/flag0`, 'function () { return 0; }', [chains], true);
    flag = {
      keys,
      kernels: [backend.kernel(keys[0], source, [chains], true), backend.kernel(keys[1], source, [chains], true)],
      texture: backend.run(`${key}/flag0`, zero),
      parity: 0,
    };
  }
  const purpose = role === 'hidden' ? COUNTER_PURPOSE.hiddenHalfSweep : COUNTER_PURPOSE.visibleHalfSweep;
  return { unit, layer, role, size, size4, key, kernel, params: uploadParams(backend, key, layer, unit), purpose, flag };
}

/** Updates a layer's failure flag from its states just drawn in sweep `sweep` (1-based). */
export function updateFlag(backend: GpuBackend, lk: LayerKernel, states: unknown, sweep: number): void {
  const f = lk.flag;
  if (f === undefined) return;
  const t = f.parity;
  f.texture = backend.run(f.keys[t], f.kernels[t], f.texture, states, Math.min(sweep, FLAG_MAX_SWEEP));
  f.parity = 1 - t;
}

/** A refused draw found by a layer's flag: the sweep (1-based) of the first, and the error's message. */
export interface FlagReport {
  readonly sweep: number;
  readonly message: string;
}

/**
 * Reads a layer's failure flag: null where no chain is flagged, else the first flagged chain's
 * sweep and a message naming it (a refused draw in any sweep so far).
 */
export function readFlag(lk: LayerKernel, chains: number): FlagReport | null {
  const f = lk.flag;
  if (f === undefined || lk.unit.failure === undefined) return null;
  const flags = flatten1d(f.texture, chains);
  let first = -1;
  let count = 0;
  for (let b = 0; b < chains; b++) {
    if (flags[b] !== 0) {
      count++;
      if (first < 0) first = b;
    }
  }
  if (first < 0) return null;
  const sweep = flags[first];
  const when = sweep >= FLAG_MAX_SWEEP ? `at a sweep >= 2^24` : `first at sweep ${sweep}`;
  return {
    sweep,
    message: `${lk.layer.type} ${lk.role} units of chain ${first} ${lk.unit.failure.reason} (${when}; ${count} of ${chains} chains affected; the chains are no longer valid)`,
  };
}

/** W^T (M x N) of W (N x M, row-major), padded with zero rows to 4 ceil(M / 4) rows. */
export function paddedTranspose(weights: ArrayLike<number>, n: number, m: number): Float64Array {
  const wt = new Float64Array(4 * Math.ceil(m / 4) * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) wt[j * n + i] = weights[i * m + j];
  return wt;
}

/** W (N x M, row-major) as the two packed copies the half-sweeps read: [along hidden, along visible]. */
export function uploadWeights(backend: GpuBackend, key: string, weights: ArrayLike<number>, n: number, m: number): [unknown, unknown] {
  const n4 = Math.ceil(n / 4);
  const m4 = Math.ceil(m / 4);
  checkIndexRange(n4 * m4 * 16, 'the weights');
  // W padded to 4 n4 rows (zero rows for padded visible units), packed along the hidden units
  const w = new Float64Array(4 * n4 * m);
  for (let q = 0; q < n * m; q++) w[q] = weights[q];
  return [backend.uploadPacked(`${key}/w`, w, 4 * n4, m), backend.uploadPacked(`${key}/wt`, paddedTranspose(weights, n, m), 4 * m4, n)];
}

/**
 * Block Gibbs of an RBM on the device for `chains` chains: weights, parameters and states stay in
 * packed textures between sweeps, uniforms come from the counter-based generator in the kernels, and
 * states come back only when read (visible(), hidden(): chains x N and chains x M, float64 copies).
 */
export class GpuBlockGibbs {
  readonly chains: number;
  /** The visible and hidden half-sweep kernels. */
  readonly hiddenKernel: LayerKernel;
  readonly visibleKernel: LayerKernel;
  /** The generator's key (two 22-bit words from createRng(seed).split('device')). */
  readonly key: readonly [number, number];
  /** Device textures: W packed along the hidden units, and W^T packed along the visible units. */
  private weightsTexture: unknown;
  private weightsTTexture: unknown;
  private visibleTexture: unknown;
  private hiddenTexture: unknown = undefined;
  private sweeps = 0;
  /** Unique per sampler: the prefix of its kernels' keys. */
  readonly tag: string;

  constructor(
    readonly backend: GpuBackend,
    readonly rbm: RBM,
    options: GpuChainOptions,
  ) {
    const { chains } = options;
    checkChains(chains);
    if (rbm.numVisible > MAX_CHAINS || rbm.numHidden > MAX_CHAINS) {
      throw new GpuLimitError(`GPU block Gibbs needs at most ${MAX_CHAINS} units per layer, got ${rbm.numVisible} visible and ${rbm.numHidden} hidden`);
    }
    this.chains = chains;
    const root = createRng(options.seed);
    this.key = deviceKey(root.split('device'));
    // kernels and textures belong to this sampler alone: with immutable kernels off, a kernel
    // shared by two samplers would overwrite the other's states
    const tag = backend.newTag('gibbs');
    this.tag = tag;
    this.hiddenKernel = layerKernel(backend, 'hidden', rbm.hidden, rbm, chains, tag);
    this.visibleKernel = layerKernel(backend, 'visible', rbm.visible, rbm, chains, tag);
    [this.weightsTexture, this.weightsTTexture] = uploadWeights(backend, `${tag}weights`, rbm.weights, rbm.numVisible, rbm.numHidden);
    let init: ArrayLike<number>;
    if (options.init !== undefined) {
      if (options.init.length !== chains * rbm.numVisible) throw new RangeError(`init has ${options.init.length} values, expected ${chains} chains x ${rbm.numVisible} units`);
      init = options.init;
    } else {
      init = randomVisibleStates(rbm, chains, root.split('init'));
    }
    this.visibleTexture = backend.uploadPacked(`${tag}visible`, init, chains, rbm.numVisible);
  }

  /** Sweeps run so far. */
  get sweepCount(): number {
    return this.sweeps;
  }

  /** The weights textures [W packed along hidden, W^T packed along visible] (PCD replaces them). */
  get weights(): [unknown, unknown] {
    return [this.weightsTexture, this.weightsTTexture];
  }

  set weights(textures: [unknown, unknown]) {
    [this.weightsTexture, this.weightsTTexture] = textures;
  }

  /** The packed visible states texture (chains x N4 texels). */
  get visibleStates(): unknown {
    return this.visibleTexture;
  }

  /** Re-uploads the model's weights and parameters (after they changed on the host). */
  syncFromModel(): void {
    [this.weightsTexture, this.weightsTTexture] = uploadWeights(this.backend, `${this.tag}weights`, this.rbm.weights, this.rbm.numVisible, this.rbm.numHidden);
    for (const lk of [this.hiddenKernel, this.visibleKernel]) {
      uploadParams(this.backend, lk.key, lk.layer, lk.unit).forEach((texture, p) => (lk.params[p] = texture));
    }
  }

  /** Runs the half-sweep of one layer for sweep number `sweep` (0-based) from the other layer's states. */
  private halfSweep(lk: LayerKernel, states: unknown, weights: unknown, sweep: number): unknown {
    const [c2, c3] = sweepArguments(sweep, lk.purpose);
    const out = this.backend.run(lk.key, lk.kernel, states, weights, this.key[0], this.key[1], c2, c3, ...lk.params);
    updateFlag(this.backend, lk, out, sweep + 1);
    return out;
  }

  /** Runs `count` sweeps v -> h -> v on the device. */
  sweep(count = 1): void {
    if (!(Number.isInteger(count) && count >= 0)) throw new RangeError(`sweeps must be a non-negative integer, got ${count}`);
    if (this.sweeps + count > COUNTER_LAYOUT.maxSweeps) throw new GpuLimitError(`more than ${COUNTER_LAYOUT.maxSweeps} sweeps exhaust the generator's counter`);
    for (let s = 0; s < count; s++) {
      this.hiddenTexture = this.halfSweep(this.hiddenKernel, this.visibleTexture, this.weightsTTexture, this.sweeps);
      this.visibleTexture = this.halfSweep(this.visibleKernel, this.hiddenTexture, this.weightsTexture, this.sweeps);
      this.sweeps++;
    }
  }

  /**
   * Throws GpuLimitError if a draw was refused in any sweep so far (poisson units: a mean above 80
   * or a non-finite input); the read-backs call it first. Reads one float per chain per poisson
   * layer, nothing for other units.
   */
  checkFailures(): void {
    const report = this.failureReport();
    if (report !== null) throw new GpuLimitError(report.message);
  }

  /** The earliest refused draw of either layer so far, or null (reads the flags; see checkFailures). */
  failureReport(): FlagReport | null {
    const reports = [readFlag(this.hiddenKernel, this.chains), readFlag(this.visibleKernel, this.chains)].filter((r): r is FlagReport => r !== null);
    reports.sort((a, b) => a.sweep - b.sweep);
    return reports[0] ?? null;
  }

  /** Frees this sampler's kernels and textures on the device; the sampler cannot be used afterwards. */
  dispose(): void {
    this.backend.release(this.tag);
  }

  /**
   * The visible states read back, chains x N (float64 copies of the float32 states). Throws
   * GpuLimitError if any draw so far was refused (checkFailures).
   */
  visible(): Float64Array {
    this.checkFailures();
    return this.backend.readPacked(this.visibleTexture, this.chains, this.rbm.numVisible, this.tag) as Float64Array;
  }

  /** The hidden states of the last half-sweep read back, chains x M. Throws before the first sweep, and as visible(). */
  hidden(): Float64Array {
    if (this.hiddenTexture === undefined) throw new Error('no hidden states yet: run a sweep first');
    this.checkFailures();
    return this.backend.readPacked(this.hiddenTexture, this.chains, this.rbm.numHidden, this.tag) as Float64Array;
  }
}

/**
 * `rows` independent draws of every unit of a layer given fixed inputs (one input per unit,
 * without the unit's parameters), on the device with the half-sweep's sampling code: rows x size.
 * Draw r of unit j uses the generator's evaluations at (floor(j / 4), r, 0, draw + 64 * 3) (purpose
 * COUNTER_PURPOSE.layerDraws, sweep 0) under the key deviceKey(createRng(seed).split('device')).
 * For testing the unit kernels against their exact conditional distributions, and for callers
 * that want draws of a layer alone.
 */
export function sampleLayerOnDevice(backend: GpuBackend, layer: UnitLayer, inputs: ArrayLike<number>, rows: number, seed: Seed): Float64Array {
  const unit = gpuUnitOf(layer, 'hidden');
  const size = layer.size;
  if (inputs.length !== size) throw new RangeError(`inputs has ${inputs.length} values, expected ${size}`);
  checkChains(rows, 'rows');
  if (size > MAX_CHAINS) throw new GpuLimitError(`the layer has ${size} units; the GPU kernels take at most ${MAX_CHAINS} per layer`);
  const size4 = Math.ceil(size / 4);
  checkIndexRange(rows * size4 * 4, 'the draws');
  const t = vec4Access(backend.mode);
  const given = `${t.declare('xv', 'xin[0][j4]')}
    ${LANES.map((k) => `const x${k} = ${t.at('xv', 'xin[0][j4]', k)};`).join('\n    ')}`;
  // not a sampler's kernel: no tag (tags have '#'), shared by every call of this shape, never released
  const key = `draws/${layer.type}/${rows}/${size}`;
  const kernel = backend.kernel(key, laneKernelSource(backend, unit, 'xin', given, 'sample', size), [size4, rows], true, 'Array(4)');
  const deviceKeyWords = deviceKey(createRng(seed).split('device'));
  const [c2, c3] = sweepArguments(0, COUNTER_PURPOSE.layerDraws);
  const xin = backend.uploadPacked(`${key}/inputs`, inputs, 1, size);
  const params = uploadParams(backend, key, layer, unit);
  const result = backend.run(key, kernel, xin, deviceKeyWords[0], deviceKeyWords[1], c2, c3, ...params);
  const draws = backend.readPacked(result, rows, size) as Float64Array;
  if (unit.failure !== undefined) {
    for (let q = 0; q < draws.length; q++) {
      // the kernel's refusals are -1; NaN is refused here as well
      if (!(draws[q] >= 0)) throw new GpuLimitError(`${layer.type} unit ${q % size} (input ${inputs[q % size]}) ${unit.failure.reason}`);
    }
  }
  return draws;
}

