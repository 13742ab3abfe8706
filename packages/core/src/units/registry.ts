/**
 * Unit types by name, for model files and the CLI. This is the only place a unit's name maps to
 * code; models and samplers use the UnitLayer interface alone.
 */
import { BernoulliLayer, DreluLayer, GaussianLayer, PoissonLayer, ReluLayer, SpinLayer, StepLayer } from './builtin';
import type { UnitLayer } from './unit';

/**
 * Builds a layer of `size` units of one type; `params` gives per-unit parameters by name (missing
 * ones take the type's defaults). What `registerUnitType`, `cumulantUnit` and `potentialUnit` deal in.
 */
export type LayerFactory = (size: number, params?: Partial<Record<string, ArrayLike<number>>>) => UnitLayer;

const hiddenTypes = new Map<string, LayerFactory>([
  ['bernoulli', (n, p) => new BernoulliLayer(n, p)],
  ['spin', (n, p) => new SpinLayer(n, p)],
  ['gaussian', (n, p) => new GaussianLayer(n, p)],
  ['relu', (n, p) => new ReluLayer(n, p)],
  ['drelu', (n, p) => new DreluLayer(n, p)],
  ['poisson', (n, p) => new PoissonLayer(n, p)],
  ['step', (n, p) => new StepLayer(n, p)],
]);

/** Visible layers: the types of MODELS.md §1 whose values are observed data. */
const visibleTypes = new Set(['bernoulli', 'spin', 'gaussian']);

/** Names of the built-in hidden unit types, in the order of MODELS.md. */
export const HIDDEN_UNIT_TYPES: readonly string[] = [...hiddenTypes.keys()];
/** Names of the built-in visible unit types. */
export const VISIBLE_UNIT_TYPES: readonly string[] = [...visibleTypes];

/** Registers a unit type under a name so that model files and the CLI can refer to it. */
export function registerUnitType(name: string, factory: LayerFactory, options: { visible?: boolean } = {}): void {
  if (hiddenTypes.has(name)) throw new Error(`unit type "${name}" is already registered`);
  hiddenTypes.set(name, factory);
  if (options.visible) visibleTypes.add(name);
}

/** Builds a layer of a registered type; throws a RangeError naming the type if unknown. */
export function createLayer(
  type: string,
  size: number,
  params?: Partial<Record<string, ArrayLike<number>>>,
  role: 'visible' | 'hidden' = 'hidden',
): UnitLayer {
  const factory = hiddenTypes.get(type);
  if (!factory || (role === 'visible' && !visibleTypes.has(type))) {
    const known = role === 'visible' ? [...visibleTypes] : [...hiddenTypes.keys()];
    throw new RangeError(`unknown ${role} unit type "${type}" (known: ${known.join(', ')})`);
  }
  return factory(size, params);
}
