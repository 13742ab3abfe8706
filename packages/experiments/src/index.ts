/**
 * @rbmlab/experiments: seeded, resumable studies and the `rbmlab` command line, for reuse in
 * programs: run a study (runStudy, or runTrial for one trial), read a study directory back
 * (readStudyResults), merge and report, and add families of your own (registerExperiment, or a
 * study file's "plugin"; docs/STUDIES.md).
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

// studies as a library (docs/STUDIES.md)
export { runStudy, studyTasks, StudyInterrupted, TrialError, type RunStudyOptions, type StudyOutcome, type TrialEvent, type Task } from './study/runner';
export { runTrial } from './study/trial';
export { runStudyInMemory, type MemoryStudy, type MemoryStudyOptions } from './study/memory';
export { parseStudy, readStudy, formatPoint, StudyError, MAX_TRIALS, type Study, type StudyFile, type GridPoint, type ParseStudyOptions, type PlotOptions } from './study/study';
export { mergeStudies, reportStudy, openStudyDirectory, type StudyDirectory, type MergeOutcome } from './study/merge';
export { readStudyResults, type StudyResults } from './study/read';
export { summarize, summaryTable, type SummaryRow, type MetricSummary } from './study/summary';
export type { Manifest, ManifestEnvironment, Session, Shard } from './study/manifest';
export { backendUse, ParamError, runsOnBackend, type BackendUse, type Experiment, type ParamSpec, type ParamValue, type Params, type MetricRow, type TrialContext, type TrialObservation } from './study/experiment';
export { EXPERIMENTS, experiments, experimentByName, registerExperiment, checkExperiment } from './families';
export { loadPlugin } from './study/plugins';
export { BACKEND_CHOICES, selectBackend, type BackendChoice, type SelectedBackend } from './backends';
