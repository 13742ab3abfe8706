/**
 * @rbmlab/experiments: the `rbmlab` command line and what it is built from, for reuse in
 * scripts and studies.
 */
export { main, COMMANDS } from './cli/main';
export type { Command, Io, Args } from './cli/command';
export { CliError, EXIT_OK, EXIT_FAILURE, EXIT_USAGE } from './cli/errors';
export { DEFAULTS, LOGZ_METHODS } from './cli/defaults';
export { checkSampler } from './cli/commands/sample';
export { formatCsvNumber, stateHeader, statesToCsv } from './csv';
export {
  empiricalDistribution,
  exactMoments,
  sampleMoments,
  samplingNoiseTotalVariation,
  totalVariation,
  type VisibleMoments,
} from './statistics';
export { demoModel, runDemo, DEMO_SAMPLERS, type DemoOptions, type DemoResult, type DemoSampler, type DemoStatistics } from './demo';
export * from './data';
export { imageGridPng, type ImageGridOptions, type ImageNormalization } from './images';
