/**
 * Parameter resolution: a point's parameters are the study's fixed params, its grid values and
 * the family's defaults, each checked against its spec; the error names the field at fault.
 */
import { ParamError, type Experiment, type ParamSpec, type ParamValue, type Params } from './experiment';

/** Checks one value against its spec; `field` is its place in the study file. */
export function checkParam(spec: ParamSpec, value: unknown, field: string): ParamValue {
  switch (spec.type) {
    case 'integer':
    case 'number': {
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        throw new ParamError(field, `expected ${spec.type === 'integer' ? 'an integer' : 'a finite number'}, got ${describeValue(value)}`);
      }
      if (spec.type === 'integer' && !Number.isInteger(value)) throw new ParamError(field, `expected an integer, got ${value}`);
      if (spec.min !== undefined && (spec.exclusiveMin ? value <= spec.min : value < spec.min)) {
        throw new ParamError(field, `must be ${spec.exclusiveMin ? '>' : '>='} ${spec.min}, got ${value}`);
      }
      if (spec.max !== undefined && (spec.exclusiveMax ? value >= spec.max : value > spec.max)) {
        throw new ParamError(field, `must be ${spec.exclusiveMax ? '<' : '<='} ${spec.max}, got ${value}`);
      }
      return value;
    }
    case 'string':
      if (typeof value !== 'string') throw new ParamError(field, `expected a string, got ${describeValue(value)}`);
      if (spec.choices && !spec.choices.includes(value)) {
        throw new ParamError(field, `must be one of ${spec.choices.map((c) => JSON.stringify(c)).join(', ')}, got ${JSON.stringify(value)}`);
      }
      return value;
    case 'boolean':
      if (typeof value !== 'boolean') throw new ParamError(field, `expected true or false, got ${describeValue(value)}`);
      return value;
  }
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return JSON.stringify(value);
  return String(value);
}

/**
 * The resolved parameters of one point: `fixed` (the study's "params") and `point` (its grid
 * values; a key may not be in both), then defaults; unknown names and missing required ones are
 * refused. The family's own cross-checks run last.
 */
export function resolveParams(experiment: Experiment, fixed: Readonly<Record<string, unknown>>, point: Readonly<Record<string, unknown>> = {}): Params {
  const resolved: Record<string, ParamValue> = {};
  const known = Object.keys(experiment.params);
  for (const [source, values] of [['params', fixed], ['grid', point]] as const) {
    for (const [name, value] of Object.entries(values)) {
      const spec = experiment.params[name];
      if (spec === undefined) {
        throw new ParamError(`${source}.${name}`, `unknown parameter of experiment "${experiment.name}" (known: ${known.join(', ')})`);
      }
      if (source === 'grid' && name in fixed) throw new ParamError(`grid.${name}`, 'is also in params; give it in one place');
      resolved[name] = checkParam(spec, value, `${source}.${name}`);
    }
  }
  for (const [name, spec] of Object.entries(experiment.params)) {
    if (name in resolved) continue;
    if (spec.default !== undefined) resolved[name] = spec.default;
    else if (spec.required) throw new ParamError(`params.${name}`, `required by experiment "${experiment.name}" (${spec.describe})`);
  }
  try {
    experiment.check?.(resolved);
  } catch (err) {
    if (!(err instanceof ParamError)) throw err;
    // a family names fields as "params.X"; point at the grid when X came from there
    const name = err.field.replace(/^params\./, '');
    const field = err.field.startsWith('params.') && name in point ? `grid.${name}` : err.field;
    throw new ParamError(field, err.message.slice(err.field.length + 2), true);
  }
  return resolved;
}
