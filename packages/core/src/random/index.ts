export * from './rng';
export * from './distributions';
export * from './counter';
