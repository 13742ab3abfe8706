/**
 * The Node entry of @rbmlab/gpu: everything index.ts exports, plus the functions that load
 * gpu.js from node_modules and find out which of its modes this machine can run.
 *
 * Node modes: 'headlessgl' (needs the optional npm package gl, built from source against the X
 * and GL headers, and an X display: Xvfb gives one, and Mesa renders it on the CPU with llvmpipe);
 * 'webasm' (kernels compiled to WebAssembly); 'cpu' (kernels as JavaScript). 'webgpu' needs a
 * navigator.gpu, which Node does not have (see docs/GPU.md). 'best' is gpu.js's own choice:
 * headlessgl where it runs, else webasm.
 */
import { GpuBackend, type GpuJsModule, type GpuMode, type GpuModeRequest } from './backend';

export * from './index';
export { gpuBenchmarks, type GpuBenchRow, type GpuBenchOptions } from './bench';

/** Modes a Node process can ask gpu.js for. */
export const NODE_GPU_MODES: readonly GpuMode[] = ['headlessgl', 'webgpu', 'webasm', 'cpu'];

let gpujsModule: GpuJsModule | undefined;

/** The gpu.js module (loaded once). */
export function loadGpuJs(): GpuJsModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  gpujsModule ??= require('gpu.js') as GpuJsModule;
  return gpujsModule;
}

function firstLine(err: unknown): string {
  return String((err as Error)?.message ?? err).split('\n')[0];
}

/** Why headless-gl cannot run here, or undefined when it can. */
function headlessGlReason(gpujs: GpuJsModule): string | undefined {
  let createContext: (w: number, h: number, o?: object) => { getExtension(n: string): { destroy(): void } | null } | null;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    createContext = require('gl');
  } catch (err) {
    return (
      `headless-gl (npm package gl, an optional dependency of gpu.js) is not installed or did not build (${firstLine(err)}); ` +
      'install the X/GL headers (apt-get install libxi-dev libglu1-mesa-dev libglew-dev libx11-dev libxext-dev pkg-config g++ make python3) ' +
      'and rebuild it from source: npm_config_nodedir=/usr npm rebuild gl (docs/GPU.md)'
    );
  }
  let context: ReturnType<typeof createContext> = null;
  try {
    context = createContext(2, 2);
  } catch (err) {
    return `headless-gl loads but createContext threw: ${firstLine(err)}`;
  }
  if (context === null) {
    const display = process.env.DISPLAY;
    return display === undefined || display === ''
      ? 'headless-gl loads but has no X display (DISPLAY is unset): run under xvfb-run -a, or start Xvfb (apt-get install xvfb) and set DISPLAY'
      : `headless-gl loads but cannot create a WebGL context on DISPLAY=${display} (is the X server running and does it offer GLX?)`;
  }
  context.getExtension('STACKGL_destroy_context')?.destroy();
  const supported = (gpujs.GPU as unknown as { isHeadlessGLSupported?: boolean }).isHeadlessGLSupported;
  if (supported !== true) return 'headless-gl creates a context, but gpu.js finds it unsupported (it needs OES_texture_float)';
  return undefined;
}

function webgpuReason(): string | undefined {
  const nav = (globalThis as { navigator?: { gpu?: unknown } }).navigator;
  if (nav?.gpu !== undefined) return undefined;
  let why: string;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('webgpu');
    why = 'the webgpu package loads, but nothing installs it as navigator.gpu';
  } catch (err) {
    why = `gpu.js's dependency webgpu@0.2.9 (Dawn) does not load here: ${firstLine(err)}`;
  }
  return `Node has no navigator.gpu (${why})`;
}

/** Which gpu.js modes this process can run, and for each one it cannot, the one-line reason. */
export function gpuAvailability(): { modes: GpuMode[]; best: GpuMode; reasons: Partial<Record<GpuMode, string>> } {
  const gpujs = loadGpuJs();
  const reasons: Partial<Record<GpuMode, string>> = {};
  const hgl = headlessGlReason(gpujs);
  if (hgl !== undefined) reasons.headlessgl = hgl;
  const wgpu = webgpuReason();
  if (wgpu !== undefined) reasons.webgpu = wgpu;
  if ((gpujs.GPU as unknown as { isWebAssemblySupported?: boolean }).isWebAssemblySupported !== true) reasons.webasm = 'WebAssembly is not available in this Node';
  const modes = NODE_GPU_MODES.filter((m) => reasons[m] === undefined);
  const best: GpuMode = modes.includes('headlessgl') ? 'headlessgl' : modes.includes('webasm') ? 'webasm' : 'cpu';
  return { modes, best, reasons };
}

/** The GL driver behind headless-gl: the VERSION string and the Mesa DRI driver the process loaded. */
function glDetail(): string {
  const parts: string[] = [];
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const createContext = require('gl') as (w: number, h: number) => WebGLRenderingContextLike | null;
    const gl = createContext(1, 1);
    if (gl !== null) {
      parts.push(String(gl.getParameter(gl.VERSION)));
      gl.getExtension('STACKGL_destroy_context')?.destroy();
    }
  } catch {
    // describe() is informative only
  }
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const fs = require('node:fs') as typeof import('node:fs');
    const maps = fs.readFileSync('/proc/self/maps', 'utf8');
    const libs = new Set(maps.split('\n').map((l) => l.trim().split(/\s+/)[5] ?? '').filter((p) => /_dri\.so|libLLVM/.test(p)));
    const names = [...libs].map((p) => p.split('/').pop() as string).sort();
    if (names.length > 0) {
      const llvmpipe = names.some((n) => n === 'swrast_dri.so') && names.some((n) => n.startsWith('libLLVM'));
      parts.push(`${llvmpipe ? 'Mesa llvmpipe (software rasterizer on the CPU)' : 'GL driver'}: ${names.join(', ')}`);
    }
  } catch {
    // not Linux
  }
  return parts.join('; ');
}

interface WebGLRenderingContextLike {
  readonly VERSION: number;
  getParameter(p: number): unknown;
  getExtension(name: string): { destroy(): void } | null;
}

/** Options of `createGpuBackend`. */
export interface CreateGpuBackendOptions {
  /** The gpu.js mode: 'best' (default), or one mode, which must run here or the call throws. */
  readonly mode?: GpuModeRequest;
}

/**
 * A gpu.js backend in Node. Throws a one-line error naming the reason where the mode asked for
 * cannot run (never a silent fallback); with 'best' the backend's `mode` and `name` say what ran.
 */
export function createGpuBackend(options: CreateGpuBackendOptions = {}): GpuBackend {
  const requested = options.mode ?? 'best';
  const gpujs = loadGpuJs();
  if (requested !== 'best') {
    if (!NODE_GPU_MODES.includes(requested)) {
      throw new Error(`gpu.js mode "${requested}" does not exist in Node (modes: best, ${NODE_GPU_MODES.join(', ')})`);
    }
    const { reasons } = gpuAvailability();
    const reason = reasons[requested];
    if (reason !== undefined) throw new Error(`gpu.js mode "${requested}" is unavailable: ${reason}`);
  }
  let backend: GpuBackend | undefined;
  const detail = (): string => {
    if (backend?.mode === 'headlessgl') return glDetail();
    if (backend?.mode === 'webasm') {
      const k = (gpujs as unknown as { WebAssemblyKernel: { isSIMDSupported?: boolean; isThreadsSupported?: boolean } }).WebAssemblyKernel;
      return `WebAssembly (SIMD ${k.isSIMDSupported ? 'yes' : 'no'}, threads ${k.isThreadsSupported ? 'yes' : 'no'})`;
    }
    if (backend?.mode === 'cpu') return 'kernels run as JavaScript (float64 arithmetic, float32 outputs)';
    return '';
  };
  backend = new GpuBackend(gpujs, requested, { detail });
  return backend;
}
