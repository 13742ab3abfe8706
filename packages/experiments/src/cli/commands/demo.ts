/**
 * rbmlab demo [--out DIR] [--seed K] [--chains C] [--sweeps S]
 *
 * Samples a small RBM by block Gibbs, by the visible heat bath and by exact draws, prints the
 * sampled statistics next to the exact ones, and writes DIR/demo.json, DIR/samples.csv and
 * DIR/model.json (the model, for `rbmlab logz` and `rbmlab sample`).
 */
import * as nodePath from 'path';
import { formatRbm } from '@rbmlab/core';
import { statesToCsv } from '../../csv';
import { DEMO_SAMPLERS, runDemo, type DemoResult } from '../../demo';
import { filePath, nonNegativeInteger, positiveInteger, seed } from '../args';
import type { Args, Command, Io } from '../command';
import { DEFAULTS } from '../defaults';
import { EXIT_OK } from '../errors';
import { outputPath, writeOutput } from './shared';

const LABELS: Record<string, string> = { exact: 'exact P(v)', gibbs: 'gibbs', heatbath: 'heatbath', 'exact-draws': 'exact draws' };

function fixed(x: number, digits = 4): string {
  return (x >= 0 ? ' ' : '') + x.toFixed(digits);
}

/** The report printed to stdout. */
export function formatDemoReport(result: DemoResult, outDir: string): string {
  const { model, options } = result;
  const columns = ['exact', ...DEMO_SAMPLERS.map((s) => (s === 'exact' ? 'exact-draws' : s))];
  const rows = [result.exact, ...DEMO_SAMPLERS.map((s) => result.sampled[s])];
  const width = 13;
  const head = (title: string) => title.padEnd(14) + columns.map((c) => LABELS[c].padStart(width)).join('');
  const line = (label: string, values: number[]) => label.padEnd(14) + values.map((v) => fixed(v).padStart(width)).join('');
  const lines: string[] = [];
  lines.push(
    `rbmlab demo: ${model.numVisible} ${model.visible.type} visible x ${model.numHidden} ${model.hidden.type} hidden units, seed ${options.seed}`,
  );
  lines.push(
    `exact: log Z = ${result.logZ} (summed over 2^${result.enumerated === 'visible' ? model.numVisible : model.numHidden} ${result.enumerated} states)`,
  );
  lines.push(`sampled: ${options.chains} independent chains per sampler, ${options.sweeps} sweeps from a random start`);
  lines.push('');
  lines.push(head('mean <v_i>'));
  for (let i = 0; i < model.numVisible; i++) lines.push(line(`  v${i}`, rows.map((r) => r.means[i])));
  lines.push('');
  lines.push(head('correlation'));
  result.pairs.forEach(([i, j], k) => lines.push(line(`  v${i}, v${j}`, rows.map((r) => r.correlations[k]))));
  lines.push('');
  lines.push(head('TV to P(v)'));
  lines.push(line('  distance', rows.map((r) => r.totalVariation)));
  lines.push(`  (${options.chains} exact draws show about ${result.noiseTotalVariation.toFixed(4)} by chance alone)`);
  lines.push('');
  lines.push(`try: npx rbmlab logz ${nodePath.join(outDir, 'model.json')} --json`);
  lines.push(`output: ${outDir} (demo.json, samples.csv, model.json)`);
  return lines.join('\n') + '\n';
}

/** The content of demo.json: options, exact and sampled statistics (no states, see samples.csv). */
export function demoJson(result: DemoResult): object {
  return {
    demo: 'rbmlab demo',
    options: result.options,
    model: 'model.json',
    logZ: result.logZ,
    enumerated: result.enumerated,
    pairs: result.pairs.map(([i, j]) => `v${i},v${j}`),
    exact: result.exact,
    sampled: result.sampled,
    noiseTotalVariation: result.noiseTotalVariation,
  };
}

export const demoCommand: Command = {
  name: 'demo',
  command: 'demo',
  usage: 'rbmlab demo [--out DIR] [--seed K] [--chains C] [--sweeps S]',
  describe: 'Sample a small RBM by Gibbs, heat bath and exact draws, and compare with exact statistics',
  builder: (y) =>
    y
      .option('out', { describe: 'directory for demo.json, samples.csv and model.json', default: DEFAULTS.demo.out, requiresArg: true })
      .option('seed', { describe: 'seed of the model noise and of every sampler, an integer >= 0', default: DEFAULTS.demo.seed, requiresArg: true })
      .option('chains', { describe: 'independent chains (samples) per sampler, a positive integer', default: DEFAULTS.demo.chains, requiresArg: true })
      .option('sweeps', { describe: 'sweeps per chain from its random start, an integer >= 0', default: DEFAULTS.demo.sweeps, requiresArg: true }),

  async run(args: Args, io: Io): Promise<number> {
    const outDir = outputPath('out', args.out, { directory: true });
    const options = {
      seed: seed('seed', args.seed),
      chains: positiveInteger('chains', args.chains),
      sweeps: nonNegativeInteger('sweeps', args.sweeps),
    };
    const result = runDemo(options);
    const n = result.model.numVisible;
    const names: string[] = [];
    const states = new Float64Array(DEMO_SAMPLERS.length * options.chains * n);
    DEMO_SAMPLERS.forEach((sampler, k) => {
      for (let c = 0; c < options.chains; c++) names.push(sampler);
      states.set(result.samples[sampler], k * options.chains * n);
    });
    // everything is computed before the first file is written
    const csv = statesToCsv(states, names.length, n, { name: 'sampler', values: names });
    writeOutput(nodePath.join(outDir, 'model.json'), formatRbm(result.model), 'out');
    writeOutput(nodePath.join(outDir, 'samples.csv'), csv, 'out');
    writeOutput(nodePath.join(outDir, 'demo.json'), JSON.stringify(demoJson(result), null, 2) + '\n', 'out');
    io.stdout(formatDemoReport(result, outDir));
    return EXIT_OK;
  },
};
