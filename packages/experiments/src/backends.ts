/**
 * `--backend cpu|gpu` of rbmlab sample, train and run.
 *
 *   cpu  the default backend of @rbmlab/core: native-openblas where it builds, else the
 *        TypeScript reference (which says so in one line; RBMLAB_BACKEND chooses among them);
 *   gpu  @rbmlab/gpu on gpu.js, in its best mode here (headlessgl under an X display, else
 *        webasm, else cpu) or in the mode RBMLAB_GPU_MODE names. A mode that cannot run is a
 *        BackendError naming why: never a silent fallback.
 *
 * The backend that ran, with its mode and driver, is printed on stderr (gpu) and written into
 * study manifests (backendInfo).
 */
import { BackendError, backendInfo, defaultBackend, type Backend, type BackendInfo } from '@rbmlab/core';

/**
 * Where trials run: 'cpu' (core's default backend: native OpenBLAS, else the reference) or 'gpu'
 * (@rbmlab/gpu, gpu.js).
 */
export type BackendChoice = 'cpu' | 'gpu';
/** Every BackendChoice, in the order messages list them. */
export const BACKEND_CHOICES: readonly BackendChoice[] = ['cpu', 'gpu'];

/** What a manifest records of the backend: BackendInfo plus gpu.js's mode where it ran. */
export interface SelectedBackendInfo extends BackendInfo {
  /** gpu.js's mode that actually ran ('headlessgl', 'webasm', 'cpu', ...), for the gpu backend. */
  readonly mode?: string;
}

/** The backend `selectBackend` made for a choice, and what the manifest records of it. */
export interface SelectedBackend {
  readonly choice: BackendChoice;
  readonly backend: Backend;
  readonly info: SelectedBackendInfo;
}

/** The @rbmlab/gpu functions used here (loaded on demand: gpu.js is not loaded for cpu runs). */
interface GpuModule {
  createGpuBackend(options?: { mode?: string }): Backend & { readonly mode: string; describe(): string };
}

function loadGpuModule(): GpuModule {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('@rbmlab/gpu') as GpuModule;
  } catch (err) {
    // an optional peer of this package: the GPU stack (gpu.js, and gl, which compiles from source)
    // is installed only by those who ask for it
    if ((err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' && /'@rbmlab\/gpu'/.test((err as Error).message)) {
      throw new BackendError('--backend gpu needs @rbmlab/gpu, which is not installed: npm install @rbmlab/gpu (it brings gpu.js and builds gl, headless WebGL, from source: a C++ compiler, python3 and the X/GL development packages; docs/GPU.md)');
    }
    throw new BackendError(`--backend gpu: @rbmlab/gpu does not load (${String((err as Error).message).split('\n')[0]})`);
  }
}

/**
 * The backend for `--backend choice`. gpu: created here (one per thread; worker threads of
 * `run --jobs` make their own); a mode that cannot run throws BackendError with the reason.
 */
export function selectBackend(choice: BackendChoice, env: Record<string, string | undefined> = process.env): SelectedBackend {
  if (choice === 'cpu') {
    const backend = defaultBackend();
    return { choice, backend, info: backendInfo() };
  }
  const gpu = loadGpuModule();
  const asked = env.RBMLAB_GPU_MODE === undefined || env.RBMLAB_GPU_MODE === '' ? 'best' : env.RBMLAB_GPU_MODE;
  let backend: ReturnType<GpuModule['createGpuBackend']>;
  try {
    backend = gpu.createGpuBackend({ mode: asked });
  } catch (err) {
    const mode = asked === 'best' ? '' : ` (RBMLAB_GPU_MODE=${asked})`;
    throw new BackendError(`--backend gpu${mode}: ${String((err as Error).message).split('\n')[0]}`);
  }
  return { choice, backend, info: { name: backend.name, mode: backend.mode, detail: backend.describe() } };
}

/** The line printed on stderr when a run starts on the gpu backend (the cpu default says nothing unless it fell back). */
export function backendLine(selected: SelectedBackend): string | null {
  if (selected.choice !== 'gpu') return null;
  return `rbmlab: running on ${selected.info.name} (${selected.info.detail ?? `gpu.js ${selected.info.mode} mode`})\n`;
}
