/**
 * rbmlab sample MODEL.json --out FILE.csv [--chains C] [--sweeps S] [--seed K] [--sampler NAME]
 *
 * C independent chains, each started from a random visible state drawn from the seeded stream,
 * run S sweeps; the C final visible states are written as CSV rows (header v0,...,v{N-1}).
 * Samplers: gibbs (block Gibbs, needs a conditional sampler in both layers), heatbath (single
 * site on the visible marginal, any hidden unit), exact (independent draws by enumeration).
 * Default: gibbs where both layers can be sampled, otherwise heatbath. Dense (rbmlab.dense/1) and
 * higher-order (rbmlab.hobm/1) models have no hidden layer: heatbath (default) or exact.
 *
 * --backend gpu (see ../../backends.ts): block Gibbs of an RBM with weights and chains kept on the
 * device (@rbmlab/gpu's GpuBlockGibbs), or the heat bath of a dense model over parallel chains
 * (GpuDenseHeatBath); uniforms come from the seed's streams on the host. Other samplers and
 * models run on the cpu, and asking for them on the gpu is refused with the reason.
 */
import { createRng, defaultSampler, enumerationSide, loadModelFile, sampleVisibleStates, SAMPLER_NAMES, DenseAssociativeMemory, type RBM, type SamplerName } from '@rbmlab/core';
import { BACKEND_CHOICES, backendLine, selectBackend, type BackendChoice, type SelectedBackend } from '../../backends';
import { statesToCsv } from '../../csv';
import { checkMemory, choice, filePath, modelPath, nonNegativeInteger, positiveInteger, seed } from '../args';
import type { Args, Command, Io } from '../command';
import { DEFAULTS } from '../defaults';
import { CliError, EXIT_OK } from '../errors';
import { higherOrderSample } from './higher-order';
import { asInputError, outputPath, writeOutput } from './shared';

/**
 * Refuses a sampler the model does not admit, with the reason and what to use instead.
 * Throws CliError; `file` names the model in messages.
 */
export function checkSampler(rbm: RBM, sampler: SamplerName, file: string): void {
  const { visible, hidden } = rbm;
  if (sampler === 'gibbs') {
    for (const [layer, role] of [
      [hidden, 'hidden'],
      [visible, 'visible'],
    ] as const) {
      if (!layer.canSample) {
        throw new CliError(
          `--sampler gibbs needs a conditional sampler in both layers, and ${file} has ${layer.type} ${role} units, which have none (use --sampler heatbath)`,
        );
      }
    }
  } else if (sampler === 'heatbath') {
    if (!visible.canSample) throw new CliError(`--sampler heatbath cannot draw ${visible.type} visible units of ${file}`);
  } else if (sampler === 'exact') {
    let side;
    try {
      side = enumerationSide(rbm);
    } catch (err) {
      throw asInputError(err, `--sampler exact: ${file}`);
    }
    if (side === 'hidden' && !visible.canSample) {
      throw new CliError(`--sampler exact draws v | h, and ${file} has ${visible.type} visible units, which cannot be sampled`);
    }
  }
}

export const sampleCommand: Command = {
  name: 'sample',
  command: 'sample <model>',
  usage: 'rbmlab sample MODEL.json --out FILE.csv [--chains C] [--sweeps S] [--seed K] [--sampler NAME] [--backend cpu|gpu]',
  describe: 'Sample visible states of a model file into a CSV file',
  builder: (y) =>
    y
      .positional('model', { describe: 'model file (format rbmlab.rbm/1, rbmlab.dense/1 or rbmlab.hobm/1)', type: 'string' })
      .option('out', { describe: 'CSV file to write (header v0,...; one row per chain)', demandOption: true, requiresArg: true })
      .option('chains', { describe: 'number of independent chains (rows written), a positive integer', default: DEFAULTS.sample.chains, requiresArg: true })
      .option('sweeps', { describe: 'sweeps of each chain from its random start, an integer >= 0', default: DEFAULTS.sample.sweeps, requiresArg: true })
      .option('seed', { describe: 'seed of the random stream (starts and updates), an integer >= 0', default: DEFAULTS.sample.seed, requiresArg: true })
      .option('sampler', {
        describe: `${SAMPLER_NAMES.join(', ')}; default gibbs where both layers can be sampled, otherwise heatbath`,
        requiresArg: true,
      })
      .option('backend', { describe: 'cpu, or gpu (gpu.js: block Gibbs of an RBM, heat bath of a dense model; mode from RBMLAB_GPU_MODE, default best)', default: 'cpu', requiresArg: true }),

  async run(args: Args, io: Io): Promise<number> {
    // every flag is checked before any work, and the output is written only at the end
    const file = modelPath(args.model);
    const out = outputPath('out', args.out);
    const chains = positiveInteger('chains', args.chains);
    const sweeps = nonNegativeInteger('sweeps', args.sweeps);
    const seedValue = seed('seed', args.seed);
    const requested = args.sampler === undefined ? undefined : choice('sampler', args.sampler, SAMPLER_NAMES);
    const backendChoice = choice('backend', args.backend, BACKEND_CHOICES) as BackendChoice;
    const loaded = loadModelFile(file);
    {
      // per chain: visible and hidden states (float64, twice: chains and the copy read out) and its CSV row
      const n = loaded.kind === 'rbm' ? loaded.model.numVisible : loaded.model.size;
      const m = loaded.kind === 'rbm' ? loaded.model.numHidden : 0;
      checkMemory('chains', chains, 16 * (n + m) + 24 * n, `${chains} chains of ${n} visible${m > 0 ? ` and ${m} hidden` : ''} units`, 8 * n);
    }
    if (backendChoice === 'gpu') {
      if (loaded.kind === 'rbm') {
        const sampler = requested ?? defaultSampler(loaded.model);
        if (sampler !== 'gibbs') throw new CliError(`--backend gpu runs block Gibbs; --sampler ${sampler} runs on the cpu (drop --backend gpu)`);
        checkSampler(loaded.model, sampler, file);
      } else if (loaded.kind !== 'dense' || (requested ?? 'heatbath') !== 'heatbath') {
        throw new CliError(`--backend gpu samples RBMs by block Gibbs and dense models by the heat bath; this ${loaded.format} model with --sampler ${requested ?? 'heatbath'} runs on the cpu (drop --backend gpu)`);
      }
      const selected = selectBackend('gpu');
      const line = backendLine(selected);
      if (line !== null) io.stderr(line);
      const n = loaded.kind === 'rbm' ? loaded.model.numVisible : loaded.model.size;
      const states = sampleOnDevice(selected, loaded.model, chains, sweeps, seedValue);
      writeOutput(out, statesToCsv(states, chains, n, undefined, loaded.kind === 'rbm' ? loaded.visibleNames : undefined), 'out');
      io.stdout(`wrote ${chains} x ${n} visible states to ${out} (${loaded.kind === 'rbm' ? 'gibbs' : 'heatbath'}, ${sweeps} sweeps, seed ${seedValue}, ${selected.info.name})\n`);
      return EXIT_OK;
    }
    if (loaded.kind !== 'rbm') return higherOrderSample(loaded, { file, out, chains, sweeps, seed: seedValue, sampler: requested }, io);
    const rbm = loaded.model;
    const sampler: SamplerName = requested ?? defaultSampler(rbm);
    checkSampler(rbm, sampler, file);
    const states = sampleVisibleStates(rbm, { chains, sweeps, rng: createRng(seedValue), sampler });
    writeOutput(out, statesToCsv(states, chains, rbm.numVisible, undefined, loaded.visibleNames), 'out');
    const how = sampler === 'exact' ? 'independent exact draws' : `${sweeps} sweeps`;
    io.stdout(`wrote ${chains} x ${rbm.numVisible} visible states to ${out} (${sampler}, ${how}, seed ${seedValue})\n`);
    return EXIT_OK;
  },
};

/** A sampler of the gpu package: chains on the device, states read back at the end. */
interface DeviceChains {
  sweep(n: number): void;
  visible?(): Float64Array;
  states?(): Float64Array;
  dispose(): void;
}

/** The gpu package's samplers, loaded with it (gpu.js is not loaded for cpu runs). */
interface GpuSamplers {
  GpuBlockGibbs: new (backend: unknown, rbm: RBM, options: { chains: number; seed: number }) => DeviceChains;
  GpuDenseHeatBath: new (backend: unknown, model: DenseAssociativeMemory, options: { chains: number; seed: number }) => DeviceChains;
}

/**
 * Block Gibbs of an RBM (GpuBlockGibbs) or the heat bath of a dense model (GpuDenseHeatBath) on
 * the device: `sweeps` sweeps of `chains` chains from the seed's random start, the visible states
 * read back (limits of the device, such as chains <= 16384, are GpuLimitErrors: one line, exit 2).
 */
function sampleOnDevice(selected: SelectedBackend, model: RBM | DenseAssociativeMemory, chains: number, sweeps: number, seedValue: number): Float64Array {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const gpu = require('@rbmlab/gpu') as GpuSamplers;
  const options = { chains, seed: seedValue };
  const chain = model instanceof DenseAssociativeMemory ? new gpu.GpuDenseHeatBath(selected.backend, model, options) : new gpu.GpuBlockGibbs(selected.backend, model, options);
  try {
    chain.sweep(sweeps);
    return (chain.visible ?? chain.states)?.call(chain) as Float64Array;
  } finally {
    chain.dispose();
  }
}
