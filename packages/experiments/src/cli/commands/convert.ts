/**
 * rbmlab convert IN --out OUT [--from FORMAT] [--to FORMAT] [--update K]
 *
 * A model between rbmlab's model file and scikit-learn's BernoulliRBM (.npz of its attributes),
 * DsysDML/rbms' HDF5 archive and an .npz for numpy users (data/model-formats.ts: the formats and
 * the exact parameter maps). The input's format is read from its contents (HDF5 is rbms; an .npz
 * with components_ is sklearn, with weights npz; JSON is rbmlab) unless --from says; the output's
 * from its extension (.json rbmlab, .h5/.hdf5 rbms) or --to, which an .npz needs (sklearn or npz).
 * The whole output is built before it is written, atomically: a bad input writes nothing.
 */
import * as fs from 'fs';
import * as path from 'path';
import { MODEL_FORMATS, inferOutputFormat, readModel, writeModel, type ModelFormat } from '../../data/model-formats';
import { choice, filePath, positiveInteger } from '../args';
import type { Args, Command, Io } from '../command';
import { CliError, EXIT_OK } from '../errors';

/** The output format from --to or OUT's extension, or one line saying what to give. */
function outputFormat(out: string, to: ModelFormat | undefined): ModelFormat {
  if (to !== undefined) return to;
  const inferred = inferOutputFormat(out);
  if (inferred !== undefined) return inferred;
  if (path.extname(out).toLowerCase() === '.npz') {
    throw new CliError(`--out ${out}: an .npz may be scikit-learn's BernoulliRBM or rbmlab's npz: give --to sklearn or --to npz`);
  }
  throw new CliError(`--out ${out}: cannot tell the format from the extension (.json rbmlab, .h5 or .hdf5 rbms, .npz sklearn or npz): give --to (${MODEL_FORMATS.join(', ')})`);
}

export const convertCommand: Command = {
  name: 'convert',
  command: 'convert <input>',
  usage: `rbmlab convert IN --out OUT [--from ${MODEL_FORMATS.join('|')}] [--to ${MODEL_FORMATS.join('|')}] [--update K]`,
  describe: "Convert a model between rbmlab's model file, scikit-learn's BernoulliRBM (.npz), rbms (HDF5) and .npz",
  builder: (y) =>
    y
      .positional('input', { describe: 'the model to convert', type: 'string' })
      .option('out', { describe: 'the file to write', demandOption: true, requiresArg: true })
      .option('from', { describe: `format of IN (${MODEL_FORMATS.join(', ')}); by default read from its contents`, type: 'string', requiresArg: true })
      .option('to', { describe: `format of OUT (${MODEL_FORMATS.join(', ')}); by default from its extension (.json rbmlab, .h5 rbms; an .npz needs --to)`, type: 'string', requiresArg: true })
      .option('update', { describe: 'rbms archives: the saved update to read (update_K); by default the last', type: 'string', requiresArg: true }),

  async run(args: Args, io: Io): Promise<number> {
    if (typeof args.input !== 'string' || args.input === '') throw new CliError('missing the model to convert (IN)');
    const input = args.input;
    const out = filePath('out', args.out);
    const from = args.from === undefined ? undefined : choice('from', args.from, MODEL_FORMATS);
    const to = args.to === undefined ? undefined : choice('to', args.to, MODEL_FORMATS);
    const update = args.update === undefined ? undefined : positiveInteger('update', args.update);
    const format = outputFormat(out, to);
    if (fs.existsSync(out) && fs.statSync(out).isDirectory()) throw new CliError(`--out ${out} is a directory`);
    const model = await readModel(input, { ...(from !== undefined ? { format: from } : {}), ...(update !== undefined ? { update } : {}) });
    await writeModel(out, model, format);
    const { rbm } = model;
    const dropped = model.visibleNames !== undefined && (format === 'sklearn' || format === 'rbms') ? ` (the visible names are not kept: ${format} files have no place for them)` : '';
    io.stdout(`${out}: ${rbm.numVisible} ${rbm.visible.type} visible x ${rbm.numHidden} ${rbm.hidden.type} hidden units, as ${format}${dropped}\n`);
    return EXIT_OK;
  },
};
