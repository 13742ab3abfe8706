/**
 * The backend rbmlab runs on when the caller names none: the native one (native.ts) where it
 * builds and loads, else the TypeScript reference, with one line on stderr saying why (once per
 * process; not inside jest unless RBMLAB_BACKEND_NOTICE=1). RBMLAB_BACKEND chooses explicitly:
 * "cpu-reference" forces the reference, "native-openblas" (or "native") requires the native one
 * and throws where it is missing, "native-openblas-f32" requires it with float32 products.
 * Manifests and the bench record backendInfo().
 */
import type { Backend } from './backend';
import { cpuBackend } from './cpu';
import { loadNativeBackend, NATIVE_BACKEND_NAME, NATIVE_F32_BACKEND_NAME, type NativeBackend } from './native';

/** What `backendInfo()` reports of the default backend: its name, and why it is not the native one. */
export interface BackendInfo {
  /** The name of the backend defaultBackend() returns, e.g. "native-openblas" or "cpu-reference". */
  readonly name: string;
  /** Why the fast backend is not the default here (absent when it is, or when the reference was asked for). */
  readonly fallback?: string;
  /** The native backend's BLAS build and thread count, when it runs. */
  readonly detail?: string;
}

/**
 * A backend asked for by the environment that cannot be had (an unknown RBMLAB_BACKEND, a
 * malformed RBMLAB_THREADS, the native backend required but missing): a user's error, which the
 * CLI prints as one line with exit code 2.
 */
export class BackendError extends Error {
  override readonly name = 'BackendError';
}

let chosen: { backend: Backend; info: BackendInfo } | undefined;
let noticed = false;

function choose(): { backend: Backend; info: BackendInfo } {
  const env = typeof process === 'undefined' ? {} : process.env;
  const asked = env.RBMLAB_BACKEND;
  if (asked === cpuBackend.name) return { backend: cpuBackend, info: { name: cpuBackend.name } };
  const names = [cpuBackend.name, NATIVE_BACKEND_NAME, NATIVE_F32_BACKEND_NAME, 'native'];
  if (asked !== undefined && asked !== '' && !names.includes(asked)) {
    throw new BackendError(`RBMLAB_BACKEND must be one of ${names.map((x) => `"${x}"`).join(', ')}, got ${JSON.stringify(asked)}`);
  }
  let loaded: ReturnType<typeof loadNativeBackend>;
  try {
    loaded = loadNativeBackend();
  } catch (err) {
    // nativeThreads: RBMLAB_THREADS or OPENBLAS_NUM_THREADS malformed (anything else is not the user's)
    if (err instanceof RangeError && /_THREADS must be/.test(err.message)) throw new BackendError(err.message);
    throw err;
  }
  if (loaded.backend !== undefined) {
    const native: NativeBackend = asked === NATIVE_F32_BACKEND_NAME ? loaded.backend.withProducts('float32') : loaded.backend;
    return { backend: native, info: { name: native.name, detail: native.describe() } };
  }
  if (asked !== undefined && asked !== '') throw new BackendError(`RBMLAB_BACKEND=${asked}, but the native backend is unavailable: ${loaded.reason}`);
  return { backend: cpuBackend, info: { name: cpuBackend.name, fallback: loaded.reason } };
}

/** The default backend (chosen once per process). */
export function defaultBackend(): Backend {
  chosen ??= choose();
  if (chosen.info.fallback !== undefined && !noticed) {
    noticed = true;
    const env = typeof process === 'undefined' ? undefined : process.env;
    const inJest = env?.JEST_WORKER_ID !== undefined && env?.RBMLAB_BACKEND_NOTICE !== '1';
    if (env !== undefined && !inJest) {
      process.stderr.write(`rbmlab: native backend unavailable (${chosen.info.fallback}); running on ${cpuBackend.name}\n`);
    }
  }
  return chosen.backend;
}

/** Which backend defaultBackend() gives, and why the reference if it does. */
export function backendInfo(): BackendInfo {
  defaultBackend();
  return (chosen as { info: BackendInfo }).info;
}
