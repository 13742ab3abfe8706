/**
 * @rbmlab/gpu: rbmlab's kernels on gpu.js. This entry imports neither gpu.js nor any Node module:
 * the gpu.js module is passed in (`new GpuBackend(GPUModule, mode)`), so that it bundles for
 * browsers with gpu.js's browser build. In Node, import '@rbmlab/gpu' (node.ts): it adds
 * createGpuBackend and gpuAvailability, which load gpu.js and choose the mode.
 */
export * from './errors';
export * from './backend';
export * from './units';
export * from './gibbs';
export * from './pcd';
export * from './dense';
export * from './counter-rng';
export * from './vec4';
