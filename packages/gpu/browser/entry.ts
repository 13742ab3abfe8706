/**
 * Entry of the browser bundle dist/browser/rbmlab-gpu.js (IIFE, global `rbmlab`; built by
 * browser/build.js): gpu.js's browser build, the gpu kernels, and the parts of @rbmlab/core that
 * a page can run (models, units, random streams, exact enumeration, sampling on the CPU
 * reference); not core's io/ (files), native backend or worker threads.
 *
 *     <script src="rbmlab-gpu.js"></script>
 *     <script> const result = rbmlab.runSelfCheck(); </script>
 */
import * as gpujs from 'gpu.js';
import type { GpuJsModule } from '@rbmlab/gpu';
import { gpuEngine } from './engine';
import { selfCheck, type SelfCheckOptions, type SelfCheckResult } from './self-check';

/** gpu.js's module (its browser build), and its GPU class. */
export { gpujs };
export const GPU = gpujs.GPU;
export * from '@rbmlab/core/math';
export * from '@rbmlab/core/random';
export * from '@rbmlab/core/tensor/matrix';
export * from '@rbmlab/core/backend/backend';
export * from '@rbmlab/core/backend/cpu';
export * from '@rbmlab/core/backend/counter-random';
export * from '@rbmlab/core/units/unit';
export * from '@rbmlab/core/units/builtin';
export * from '@rbmlab/core/units/registry';
export * from '@rbmlab/core/models/rbm';
export * from '@rbmlab/core/sampling';
export * from '@rbmlab/core/exact/enumerate';
export { selfCheck, kernelMode, bernoulliRbm, GOF_MODELS, P_FAIL, REQUIRED_MODE } from './self-check';
export * from '@rbmlab/core/evaluation/goodness-of-fit';
export type { GpuEngine, ModelGofResult, SelfCheckOptions, SelfCheckResult } from './self-check';
export * from '@rbmlab/gpu';
export { gpuEngine } from './engine';

/** The self-check of self-check.ts on gpu.js's WebGL2 mode (throws only if WebGL2 is missing). */
export function runSelfCheck(options: SelfCheckOptions = {}): SelfCheckResult {
  return selfCheck(gpuEngine(gpujs as unknown as GpuJsModule), options);
}
