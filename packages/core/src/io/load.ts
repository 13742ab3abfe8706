/**
 * One entry point for every model file: loadModelFile reads the JSON once and dispatches on its
 * "format" to the reader of rbmlab.rbm/1, rbmlab.dense/1 or rbmlab.hobm/1, returning the model
 * tagged with its kind. A format of a known family with another version ("rbmlab.dense/2") gets
 * that family's refusal; a missing or unknown format lists every format this rbmlab reads.
 */
import type { RBM } from '../models/rbm';
import type { DenseAssociativeMemory } from '../models/dense/model';
import type { HigherOrderBoltzmannMachine } from '../models/hobm/model';
import { checkLoadedRbm, MODEL_FORMAT, ModelFileError, rbmFromJSON, visibleNamesFromJSON } from './model-file';
import { DENSE_FORMAT, denseFromJSON } from './dense-file';
import { HOBM_FORMAT, hobmFromJSON } from './hobm-file';
import { describe, isPlainObject, readJsonFile } from './json-text';

/**
 * A model read by `loadModelFile`, tagged by its kind and format: an RBM (with the data's column
 * names when the file has them), a dense associative memory or a higher-order machine.
 */
export type LoadedModel =
  | { readonly kind: 'rbm'; readonly format: typeof MODEL_FORMAT; readonly model: RBM; readonly visibleNames?: readonly string[] }
  | { readonly kind: 'dense'; readonly format: typeof DENSE_FORMAT; readonly model: DenseAssociativeMemory }
  | { readonly kind: 'hobm'; readonly format: typeof HOBM_FORMAT; readonly model: HigherOrderBoltzmannMachine };

/** Every model format this rbmlab reads. */
export const MODEL_FORMATS: readonly string[] = [MODEL_FORMAT, DENSE_FORMAT, HOBM_FORMAT];

/** The family of a format string: "rbmlab.dense/2" -> "rbmlab.dense/". */
function family(format: string): string {
  return format.slice(0, format.lastIndexOf('/') + 1);
}

/** A model from parsed model-file content, by its "format". `source` names the file in messages. */
export function modelFromJSON(json: unknown, source = 'model'): LoadedModel {
  const formats = MODEL_FORMATS.join(', ');
  if (!isPlainObject(json)) throw new ModelFileError(source, `expected a JSON object with a "format" (${formats}), got ${describe(json)}`);
  const format = json.format;
  if (format === undefined) throw new ModelFileError(source, `format is missing (expected one of ${formats})`, 'format');
  if (typeof format !== 'string') throw new ModelFileError(source, `format must be a string (one of ${formats}), got ${describe(format)}`, 'format');
  const f = family(format);
  if (f === family(DENSE_FORMAT)) return { kind: 'dense', format: DENSE_FORMAT, model: denseFromJSON(json, source) };
  if (f === family(HOBM_FORMAT)) return { kind: 'hobm', format: HOBM_FORMAT, model: hobmFromJSON(json, source) };
  if (f === family(MODEL_FORMAT)) {
    const model = rbmFromJSON(json, source);
    checkLoadedRbm(model, source);
    const visibleNames = visibleNamesFromJSON(json);
    return { kind: 'rbm', format: MODEL_FORMAT, model, ...(visibleNames ? { visibleNames } : {}) };
  }
  throw new ModelFileError(source, `unsupported format ${JSON.stringify(format)} (this rbmlab reads ${formats})`, 'format');
}

/** Reads any model file (rbmlab.rbm/1, rbmlab.dense/1, rbmlab.hobm/1). Throws ModelFileError naming the file and the field. */
export function loadModelFile(path: string): LoadedModel {
  return modelFromJSON(readJsonFile(path), path);
}
