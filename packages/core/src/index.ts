/**
 * @rbmlab/core: restricted Boltzmann machines whose units are plug-ins defined by their cumulant
 * function, with exact oracles, seeded samplers and versioned model files.
 */
export * from './math';
export * from './random';
export * from './tensor/matrix';
export * from './backend/backend';
export * from './backend/cpu';
export * from './backend/native';
export * from './backend/default';
export * from './backend/counter-random';
export * from './units/unit';
export * from './units/builtin';
export * from './units/custom';
export * from './units/potential';
export * from './units/registry';
export * from './models/rbm';
export * from './models/convert';
export * from './models/checks';
export * from './sampling';
export * from './exact/enumerate';
export * from './evaluation';
export * from './evaluation/pattern-recovery';
export * from './evaluation/principal-components';
export * from './exact/couplings';
export * from './io/model-file';
export * from './io/atomic';
export * from './io/strict-json';
export * from './data/bars-and-stripes';
export * from './training';
export * from './io/checkpoint';
export * from './exact/table';
export * from './models/dense';
export * from './models/hobm';
export * from './io/dense-file';
export * from './io/hobm-file';
export * from './io/load';
