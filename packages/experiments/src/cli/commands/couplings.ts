/**
 * rbmlab couplings MODEL.json --max-order K [--basis bernoulli|spin] [--max-couplings C] [--json]
 *
 * The interactions J_S that the hidden layer of an RBM induces among its visible units
 * (MODELS.md §2), for every subset S with 1 <= |S| <= K: -F(v) = J_0 + sum_S J_S prod_{i in S} z_i
 * with z_i = x_i in {0, 1} (bernoulli basis) or sigma_i in {-1, +1} (spin basis). Order-1 terms
 * include the visible bias. The default basis is the model's visible type; gaussian visibles have
 * no such expansion and are refused.
 *
 * --json prints exactly one line, {"couplings": [{"sites": [...], "J": value}, ...]}, with sites
 * ascending and the subsets ordered by size, then lexicographically (a contract: scripts read it).
 * Without --json, a table with the same rows and the constant J_0.
 */
import { COUPLING_BASES, forEachCoupling, inducedCouplings, loadRbm, numSubsets, type InducedCouplings } from '@rbmlab/core';
import { choice, modelPath, positiveInteger } from '../args';
import type { Args, Command, Io } from '../command';
import { DEFAULTS } from '../defaults';
import { CliError, EXIT_FAILURE, EXIT_OK } from '../errors';

/** Rows written to stdout per write call, so that a large listing is not one huge string. */
const ROWS_PER_WRITE = 10000;

export const couplingsCommand: Command = {
  name: 'couplings',
  command: 'couplings <model>',
  usage: 'rbmlab couplings MODEL.json --max-order K [--basis bernoulli|spin] [--max-couplings C] [--json]',
  describe: 'Print the couplings J_S of every order <= K that the hidden units induce among the visible units',
  builder: (y) =>
    y
      .positional('model', { describe: 'model file (format rbmlab.rbm/1) with bernoulli or spin visible units', type: 'string' })
      .option('max-order', { describe: 'highest order K of the couplings listed: every S with |S| <= K', demandOption: true, requiresArg: true })
      .option('basis', {
        describe: `${COUPLING_BASES.join(' or ')} variables of the expansion; default the model's visible type`,
        requiresArg: true,
      })
      .option('max-couplings', {
        describe: 'refuse to list more couplings than this',
        default: DEFAULTS.couplings.maxCouplings,
        requiresArg: true,
      })
      .option('json', { describe: 'print one JSON object {"couplings": [{"sites", "J"}, ...]}', type: 'boolean', default: false }),

  async run(args: Args, io: Io): Promise<number> {
    const file = modelPath(args.model);
    const maxOrder = positiveInteger('max-order', args['max-order']);
    const basisFlag = args.basis === undefined ? undefined : choice('basis', args.basis, COUPLING_BASES);
    const maxCouplings = positiveInteger('max-couplings', args['max-couplings']);
    const rbm = loadRbm(file);
    const n = rbm.numVisible;
    const order = Math.min(maxOrder, n);
    const listed = numSubsets(n, order) - 1;
    if (listed > maxCouplings) {
      throw new CliError(
        `--max-order ${maxOrder} with ${n} visible units lists ${listed} couplings, more than --max-couplings ${maxCouplings}; lower --max-order or raise --max-couplings`,
      );
    }
    let c: InducedCouplings;
    try {
      c = inducedCouplings(rbm, order, { basis: basisFlag, maxCouplings: listed + 1 });
    } catch (err) {
      if (err instanceof Error && err.name === 'CouplingError') throw new CliError(`${file}: ${err.message}`);
      throw err;
    }
    forEachCoupling(
      c,
      (sites, J) => {
        if (!Number.isFinite(J)) {
          throw new CliError(`${file}: J of sites [${sites.join(', ')}] is ${J} in float64 (a cumulant overflows)`, EXIT_FAILURE);
        }
      },
      0,
    );
    if (args.json === true) writeJson(c, io);
    else writeTable(c, file, io);
    return EXIT_OK;
  },
};

/** {"couplings": [{"sites": [0, 1], "J": 0.25}, ...]} on one line; numbers in shortest round-trip form. */
function writeJson(c: InducedCouplings, io: Io): void {
  io.stdout('{"couplings": [');
  let rows: string[] = [];
  let first = true;
  const flush = () => {
    if (rows.length === 0) return;
    io.stdout((first ? '' : ', ') + rows.join(', '));
    first = false;
    rows = [];
  };
  forEachCoupling(c, (sites, J) => {
    rows.push(`{"sites": [${sites.join(', ')}], "J": ${JSON.stringify(J)}}`);
    if (rows.length === ROWS_PER_WRITE) flush();
  });
  flush();
  io.stdout(']}\n');
}

function writeTable(c: InducedCouplings, file: string, io: Io): void {
  const variable = c.basis === 'bernoulli' ? 'x_i in {0, 1}' : 'sigma_i in {-1, +1}';
  const [s0, s1] = c.support;
  io.stdout(
    `${file}: induced couplings, ${c.basis} basis (${variable}, v_i = ${s0} or ${s1}), orders 1..${c.maxOrder}, ${c.method} method\n` +
      `-F(v) = J_0 + sum_S J_S prod_{i in S} ${c.basis === 'bernoulli' ? 'x_i' : 'sigma_i'};  J_0 = ${c.constant}\n` +
      `order  sites  J\n`,
  );
  let rows: string[] = [];
  forEachCoupling(c, (sites, J) => {
    rows.push(`${sites.length}  ${sites.join(',')}  ${J}`);
    if (rows.length === ROWS_PER_WRITE) {
      io.stdout(rows.join('\n') + '\n');
      rows = [];
    }
  });
  if (rows.length > 0) io.stdout(rows.join('\n') + '\n');
}
