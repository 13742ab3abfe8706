/**
 * Training checkpoints, format "rbmlab.checkpoint/1": one JSON file holding everything a resumed
 * run needs to continue bit for bit:
 *
 *   format      "rbmlab.checkpoint/1"
 *   epoch       epochs completed
 *   model       the model, as in an rbmlab.rbm/1 file (numbers exact)
 *   config      the trainer's hyperparameters (method, k, chains, batchSize, optimizer,
 *               learningRate schedule, l1, l2, centering, betas, minPrecision)
 *   seed        seed path of the run's root stream
 *   rng         the training stream's state (seedrandom xor4096)
 *   optimizer   {steps, slots: {name: [array per parameter]}}
 *   chains      persistent chains {replicas: [array], updates, swapsProposed, swapsAccepted} or null
 *   offsets     centering offsets {visible, hidden} or null
 *   data        fingerprint of the training data {rows, cols, checksum}: a resume on other data is refused
 *   history     the epoch records so far
 *
 * Large arrays (optimizer slots, chains, offsets) are stored as {"float64": base64} of their
 * little-endian IEEE-754 bytes: exact (signed zeros included) and compact. The file is written
 * atomically, so a run killed while saving leaves the previous checkpoint intact.
 */
import * as fs from 'fs';
import type { RBM } from '../models/rbm';
import type { RngState } from '../random/rng';
import { restoreRng } from '../random/rng';
import { resolveTrainerConfig, type EpochRecord, type TrainerConfig, type TrainerState } from '../training/trainer';
import { writeFileAtomicSync } from './atomic';
import { jsonProblem, parseJson } from './strict-json';
import { formatExactJson, ModelFileError, rbmFromJSON, rbmToJSON } from './model-file';

/**
 * The `format` string of a training checkpoint file (one JSON file: epoch, model, config, seed, stream,
 * optimizer, chains, offsets, data fingerprint, history).
 */
export const CHECKPOINT_FORMAT = 'rbmlab.checkpoint/1';

/** A checkpoint that cannot be read or understood; the message is one line naming the file and field. */
export class CheckpointError extends Error {
  override readonly name = 'CheckpointError';
  constructor(
    readonly source: string,
    detail: string,
  ) {
    super(`${source}: ${detail}`.replace(/\s*[\r\n]+\s*/g, ' '));
  }
}

if (new Uint8Array(new Float64Array([1]).buffer)[7] !== 0x3f) {
  // the byte order of the stored arrays is little-endian; so is every platform Node supports today
  throw new Error('rbmlab checkpoints need a little-endian platform');
}

function encode(values: Float64Array): { float64: string } {
  return { float64: Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('base64') };
}

function decode(value: unknown, field: string, source: string, length?: number): Float64Array {
  const text = (value as { float64?: unknown } | null)?.float64;
  if (typeof text !== 'string') throw new CheckpointError(source, `${field} must be {"float64": base64 text}`);
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length % 8 !== 0) throw new CheckpointError(source, `${field} holds ${bytes.length} bytes, not a whole number of float64 values`);
  const out = new Float64Array(bytes.length / 8);
  new Uint8Array(out.buffer).set(bytes);
  if (length !== undefined && out.length !== length) throw new CheckpointError(source, `${field} has ${out.length} values, expected ${length}`);
  return out;
}

/** The content of a checkpoint file. */
export function checkpointToJSON(rbm: RBM, state: TrainerState): Record<string, unknown> {
  const slots: Record<string, unknown[]> = {};
  for (const [name, arrays] of Object.entries(state.optimizer.slots)) slots[name] = arrays.map(encode);
  return {
    format: CHECKPOINT_FORMAT,
    epoch: state.epoch,
    model: rbmToJSON(rbm),
    config: state.config,
    seed: state.seed,
    rng: state.rng,
    optimizer: { steps: state.optimizer.steps, slots },
    chains:
      state.chains === null
        ? null
        : {
            replicas: state.chains.replicas.map(encode),
            updates: state.chains.updates,
            swapsProposed: state.chains.swapsProposed,
            swapsAccepted: state.chains.swapsAccepted,
          },
    offsets: state.offsets === null ? null : { visible: encode(state.offsets.visible), hidden: encode(state.offsets.hidden) },
    data: state.data,
    history: state.history,
  };
}

/** Writes a checkpoint file atomically. */
export function saveCheckpoint(path: string, rbm: RBM, state: TrainerState): void {
  const text = formatExactJson(checkpointToJSON(rbm, state)) + '\n';
  try {
    writeFileAtomicSync(path, text);
  } catch (err) {
    throw new CheckpointError(path, `cannot write file (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function count(value: unknown, field: string, source: string): number {
  if (!(typeof value === 'number' && Number.isInteger(value) && value >= 0)) {
    throw new CheckpointError(source, `${field} must be a non-negative integer, got ${JSON.stringify(value)}`);
  }
  return value;
}

function counts(value: unknown, field: string, source: string, length: number): number[] {
  if (!Array.isArray(value) || value.length !== length) throw new CheckpointError(source, `${field} must be an array of ${length} counts`);
  return value.map((x, k) => count(x, `${field}[${k}]`, source));
}

/** Reads and validates a checkpoint; returns the model and the trainer state to resume from. */
export function checkpointFromJSON(json: unknown, source = 'checkpoint'): { rbm: RBM; state: TrainerState } {
  if (!isObject(json)) throw new CheckpointError(source, 'expected a JSON object');
  if (json.format !== CHECKPOINT_FORMAT) {
    throw new CheckpointError(source, `unsupported format ${JSON.stringify(json.format)} (this rbmlab reads ${CHECKPOINT_FORMAT})`);
  }
  for (const field of ['epoch', 'model', 'config', 'seed', 'rng', 'optimizer', 'chains', 'offsets', 'data', 'history']) {
    if (!(field in json)) throw new CheckpointError(source, `${field} is missing`);
  }
  let rbm: RBM;
  try {
    rbm = rbmFromJSON(json.model, `${source} (model)`);
  } catch (err) {
    if (err instanceof ModelFileError) throw new CheckpointError(source, `model: ${err.message}`);
    throw err;
  }
  const epoch = count(json.epoch, 'epoch', source);
  let config: TrainerConfig;
  try {
    const c = json.config as TrainerConfig;
    if (!isObject(c)) throw new RangeError('expected an object');
    config = resolveTrainerConfig({
      method: c.method,
      k: c.k,
      chains: c.chains,
      batchSize: c.batchSize,
      optimizer: c.optimizer,
      learningRate: c.learningRate,
      l1: c.l1,
      l2: c.l2,
      centering: c.centering === null ? false : c.centering,
      betas: c.betas === null ? undefined : c.betas,
      minPrecision: c.minPrecision,
      precision: c.precision, // absent in checkpoints written before it existed: float64
    });
  } catch (err) {
    throw new CheckpointError(source, `config: ${(err as Error).message}`);
  }
  if (typeof json.seed !== 'string') throw new CheckpointError(source, 'seed must be a string');
  const rng = json.rng as RngState;
  try {
    restoreRng(rng);
  } catch (err) {
    throw new CheckpointError(source, `rng: ${(err as Error).message}`);
  }
  const opt = json.optimizer;
  if (!isObject(opt) || !isObject(opt.slots)) throw new CheckpointError(source, 'optimizer must be {steps, slots}');
  const parameterLengths = [rbm.weights.length, ...Object.values(rbm.visible.params).map((p) => p.length), ...Object.values(rbm.hidden.params).map((p) => p.length)];
  const slots: Record<string, Float64Array[]> = {};
  for (const [name, arrays] of Object.entries(opt.slots)) {
    if (!Array.isArray(arrays) || arrays.length !== parameterLengths.length) {
      throw new CheckpointError(source, `optimizer.slots.${name} must hold one array per parameter (${parameterLengths.length})`);
    }
    slots[name] = arrays.map((a, k) => decode(a, `optimizer.slots.${name}[${k}]`, source, parameterLengths[k]));
  }
  const n = rbm.numVisible;
  let chains: TrainerState['chains'] = null;
  if (json.chains !== null) {
    const c = json.chains;
    if (!isObject(c) || !Array.isArray(c.replicas)) throw new CheckpointError(source, 'chains must be null or {replicas, updates, swapsProposed, swapsAccepted}');
    const replicas = c.replicas.map((r, k) => decode(r, `chains.replicas[${k}]`, source, config.chains * n));
    const pairs = Math.max(0, replicas.length - 1);
    chains = {
      replicas,
      updates: count(c.updates, 'chains.updates', source),
      swapsProposed: counts(c.swapsProposed, 'chains.swapsProposed', source, pairs),
      swapsAccepted: counts(c.swapsAccepted, 'chains.swapsAccepted', source, pairs),
    };
  }
  let offsets: TrainerState['offsets'] = null;
  if (json.offsets !== null) {
    const o = json.offsets;
    if (!isObject(o)) throw new CheckpointError(source, 'offsets must be null or {visible, hidden}');
    offsets = { visible: decode(o.visible, 'offsets.visible', source, n), hidden: decode(o.hidden, 'offsets.hidden', source, rbm.numHidden) };
  }
  const data = json.data as TrainerState['data'];
  if (!isObject(data) || typeof data.checksum !== 'string') throw new CheckpointError(source, 'data must be {rows, cols, checksum}');
  count(data.rows, 'data.rows', source);
  count(data.cols, 'data.cols', source);
  if (!Array.isArray(json.history)) throw new CheckpointError(source, 'history must be an array of epoch records');
  return {
    rbm,
    state: {
      config,
      epoch,
      seed: json.seed,
      rng,
      optimizer: { steps: count(opt.steps, 'optimizer.steps', source), slots },
      chains,
      offsets,
      data,
      history: json.history as EpochRecord[],
    },
  };
}

/** Reads a checkpoint file; CheckpointError (one line) for anything unreadable or malformed. */
export function loadCheckpoint(path: string): { rbm: RBM; state: TrainerState } {
  let text: string;
  try {
    text = fs.readFileSync(path, 'utf8');
  } catch (err) {
    throw new CheckpointError(path, `cannot read file (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  let json: unknown;
  try {
    json = parseJson(text);
  } catch (err) {
    throw new CheckpointError(path, jsonProblem(err));
  }
  return checkpointFromJSON(json, path);
}
