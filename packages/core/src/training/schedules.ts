/**
 * Learning-rate schedules, as data (checkpoints record them) evaluated per epoch; `epoch` counts
 * from 0 (the first epoch). Each depends on the epoch alone, never on how many epochs a call
 * asks for, so a run resumed with a larger total follows the same rates.
 *
 *   constant      lr
 *   exponential   lr * decay^epoch
 *   step          lr * factor^floor(epoch / every)
 *   linear        lr + (final - lr) * min(epoch, epochs - 1) / max(1, epochs - 1)
 *                 (lr at the first epoch, final from epoch `epochs` - 1 on)
 */
export type ScheduleSpec =
  | { readonly kind: 'constant'; readonly lr: number }
  | { readonly kind: 'exponential'; readonly lr: number; readonly decay: number }
  | { readonly kind: 'step'; readonly lr: number; readonly factor: number; readonly every: number }
  | { readonly kind: 'linear'; readonly lr: number; readonly final: number; readonly epochs: number };

/** The kinds of learning-rate schedule (ScheduleSpec), in the order messages list them. */
export const SCHEDULE_KINDS = ['constant', 'exponential', 'step', 'linear'] as const;

/** A number is a constant schedule. Checks every field and returns the spec. */
export function resolveSchedule(spec: number | ScheduleSpec): ScheduleSpec {
  const s: ScheduleSpec = typeof spec === 'number' ? { kind: 'constant', lr: spec } : spec;
  const positive = (name: string, x: number): void => {
    if (!(Number.isFinite(x) && x > 0)) throw new RangeError(`learning-rate schedule: ${name} must be a positive number, got ${x}`);
  };
  positive('lr', s.lr);
  switch (s.kind) {
    case 'constant':
      break;
    case 'exponential':
      positive('decay', s.decay);
      break;
    case 'step':
      positive('factor', s.factor);
      if (!(Number.isInteger(s.every) && s.every >= 1)) throw new RangeError(`learning-rate schedule: every must be a positive integer, got ${s.every}`);
      break;
    case 'linear':
      if (!(Number.isFinite(s.final) && s.final >= 0)) throw new RangeError(`learning-rate schedule: final must be a non-negative number, got ${s.final}`);
      if (!(Number.isInteger(s.epochs) && s.epochs >= 1)) throw new RangeError(`learning-rate schedule: epochs must be a positive integer, got ${s.epochs}`);
      break;
    default:
      throw new RangeError(`unknown learning-rate schedule "${(s as { kind: string }).kind}" (known: ${SCHEDULE_KINDS.join(', ')})`);
  }
  return s;
}

/** The learning rate of epoch `epoch` (0-based). */
export function learningRate(spec: ScheduleSpec, epoch: number): number {
  switch (spec.kind) {
    case 'constant':
      return spec.lr;
    case 'exponential':
      return spec.lr * Math.pow(spec.decay, epoch);
    case 'step':
      return spec.lr * Math.pow(spec.factor, Math.floor(epoch / spec.every));
    case 'linear':
      return spec.lr + ((spec.final - spec.lr) * Math.min(epoch, spec.epochs - 1)) / Math.max(1, spec.epochs - 1);
  }
}
