/**
 * The self-check's view of @rbmlab/gpu in a page: a GpuBackend on gpu.js's WebGL2 mode (never
 * another: GpuBackend throws where gpu.js cannot run the mode asked for, and on any kernel that
 * gpu.js replaced by a CPU fallback), its layer inputs, and GpuBlockGibbs for the seeded runs.
 *
 * Every kernel that gpu.js builds is also recorded here (a GPU subclass that keeps what
 * createKernel returns), so that the result lists the class of each kernel that ran, checked
 * independently of the backend's own check.
 */
import { deviceWords, GpuBackend, GpuBlockGibbs, type GpuJsModule } from '@rbmlab/gpu';
import type { RBM } from '@rbmlab/core/models/rbm';
import { kernelMode, REQUIRED_MODE, type GpuEngine } from './self-check';

interface KernelRecord {
  readonly name: string;
  readonly run: { kernel?: object };
}

/** gpu.js's module with a GPU class that records each kernel it creates. */
function recording(gpujs: GpuJsModule, kernels: KernelRecord[]): GpuJsModule {
  const Base = gpujs.GPU as unknown as new (settings?: object) => { createKernel(source: unknown, settings?: Record<string, unknown>): { kernel?: object } };
  class RecordingGPU extends Base {
    override createKernel(source: unknown, settings?: Record<string, unknown>): { kernel?: object } {
      const run = super.createKernel(source, settings);
      const output = Array.isArray(settings?.output) ? (settings.output as number[]).join('x') : '?';
      kernels.push({ name: `kernel ${kernels.length} [${output}]`, run });
      return run;
    }
  }
  return { ...gpujs, GPU: RecordingGPU as unknown as GpuJsModule['GPU'] };
}

/** The engine of self-check.ts on @rbmlab/gpu, in gpu.js's WebGL2 mode. */
export function gpuEngine(gpujs: GpuJsModule): GpuEngine & { readonly backend: GpuBackend } {
  const kernels: KernelRecord[] = [];
  const backend = new GpuBackend(recording(gpujs, kernels), REQUIRED_MODE);
  const product = (side: 'hidden' | 'visible', x: ArrayLike<number>, w: ArrayLike<number>, batch: number, n: number, m: number) => {
    const out = new Float32Array(batch * (side === 'hidden' ? m : n));
    const xs = Float64Array.from(x);
    const ws = Float64Array.from(w);
    if (side === 'hidden') backend.hiddenInputs(xs, ws, batch, n, m, out);
    else backend.visibleInputs(xs, ws, batch, n, m, out);
    return out;
  };
  return {
    backend,
    name: `@rbmlab/gpu ${backend.name} (GpuBackend, GpuBlockGibbs)`,
    mode: backend.mode,
    get context() {
      return ((backend.gpu as unknown as { context?: WebGL2RenderingContext }).context ?? null) as WebGL2RenderingContext | null;
    },
    hiddenInputs: (v, w, batch, n, m) => product('hidden', v, w, batch, n, m),
    visibleInputs: (h, w, batch, n, m) => product('visible', h, w, batch, n, m),
    gibbs(rbm: RBM, chains: number, sweeps: number, seed: string) {
      const chain = new GpuBlockGibbs(backend, rbm, { chains, seed });
      chain.sweep(sweeps);
      return chain.visible();
    },
    words: (key, c2, c3, width, height) => deviceWords(backend, key, c2, c3, width, height),
    gibbsSweeps(rbm: RBM, chains: number, sweeps: number, seed: string) {
      const chain = new GpuBlockGibbs(backend, rbm, { chains, seed });
      const out: { hidden: Float64Array; visible: Float64Array }[] = [];
      for (let s = 0; s < sweeps; s++) {
        chain.sweep(1);
        out.push({ hidden: chain.hidden(), visible: chain.visible() });
      }
      chain.dispose();
      return out;
    },
    kernelModes() {
      return Object.fromEntries(kernels.map((k) => [k.name, kernelMode(k.run, gpujs as unknown as Record<string, unknown>)]));
    },
  };
}
