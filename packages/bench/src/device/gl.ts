/**
 * Which device the gpu.js rows ran on, from evidence inside the process that ran them, so that a
 * figure measured on Mesa's CPU rasterizer can never pass for a GPU figure:
 *   - the native GL_RENDERER / GL_VENDOR / GL_VERSION strings behind headless-gl (its WebGL
 *     wrapper answers "ANGLE" / "stack-gl"; the native getParameter underneath names the driver,
 *     e.g. "ANGLE (NVIDIA Corporation NVIDIA H200/PCIe/SSE2 OpenGL 4.5 core)" or
 *     "ANGLE (Mesa, llvmpipe (LLVM 15.0.6, 256 bits), OpenGL 4.5 core)");
 *   - the GL driver libraries mapped into this process (/proc/self/maps): NVIDIA's libGLX_nvidia /
 *     libEGL_nvidia / libnvidia-glcore, or Mesa's swrast_dri.so;
 *   - under the device kit (.device/run.sh): the variant it chose (RBM_VARIANT) and that variant's
 *     probe line from $OUT/probes.jsonl.
 * The renderer string decides between llvmpipe and softpipe (the kit maps a libLLVM stub even for
 * softpipe). Only 'nvidia' counts as a GPU here: it is the one driver this bench was built for.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export type GlDriver = 'nvidia' | 'mesa-llvmpipe' | 'mesa-softpipe' | 'mesa' | 'other' | 'none';

export interface GlFacts {
  /** gpu.js mode of the rows. */
  readonly mode: string;
  readonly renderer: string | null;
  readonly vendor: string | null;
  readonly version: string | null;
  /** GL driver libraries mapped into this process (file names). */
  readonly driverLibraries: string[];
  readonly driver: GlDriver;
  /** True only where the rows ran on NVIDIA's driver. */
  readonly onGpu: boolean;
  /** One line for the table: what ran, and whether it is a GPU figure. */
  readonly label: string;
  /** The device kit's chosen variant and its probe, where run under .device/run.sh. */
  readonly kit: { readonly variant: string | null; readonly probe: unknown } | null;
}

const NVIDIA_LIB = /libGLX_nvidia|libEGL_nvidia|libnvidia-glcore|libnvidia-eglcore/;
const MESA_LIB = /_dri\.so|libGLX_mesa|libEGL_mesa/;

/** Shared objects of GL drivers mapped into this process (empty where /proc is missing). */
function mappedDriverLibraries(): string[] {
  let maps: string;
  try {
    maps = fs.readFileSync('/proc/self/maps', 'utf8');
  } catch {
    return [];
  }
  const files = new Set(maps.split('\n').map((line) => line.trim().split(/\s+/)[5] ?? ''));
  return [...files].filter((f) => NVIDIA_LIB.test(f) || MESA_LIB.test(f)).map((f) => path.basename(f)).sort();
}

/** The native GL strings of a fresh headless-gl context, or nulls where none can be made. */
function nativeGlStrings(): { renderer: string | null; vendor: string | null; version: string | null } {
  const none = { renderer: null, vendor: null, version: null };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const createContext = require('gl') as (w: number, h: number) => { getExtension(n: string): { destroy(): void } | null } | null;
    const gl = createContext(16, 16);
    if (gl === null) return none;
    // the WebGL wrapper's class overrides getParameter; its prototype's prototype is the native one
    const native = Object.getPrototypeOf(Object.getPrototypeOf(gl)) as { getParameter(p: number): unknown };
    const read = (p: number): string | null => {
      try {
        return String(native.getParameter.call(gl, p));
      } catch {
        return null;
      }
    };
    const strings = { renderer: read(0x1f01), vendor: read(0x1f00), version: read(0x1f02) };
    gl.getExtension('STACKGL_destroy_context')?.destroy();
    return strings;
  } catch {
    return none;
  }
}

/** The device kit's probe of the variant it chose (its $OUT/probes.jsonl), trimmed to what identifies the driver. */
function kitProbe(outDir: string): GlFacts['kit'] {
  const variant = process.env.RBM_VARIANT ?? null;
  if (variant === null) return null;
  let probe: unknown = null;
  try {
    const lines = fs.readFileSync(path.join(outDir, 'probes.jsonl'), 'utf8').split('\n').filter((l) => l.trim() !== '');
    const p = lines.map((l) => JSON.parse(l) as Record<string, any>).find((x) => x.variant === variant);
    if (p !== undefined) {
      const libs = p.libsAfterGpujs ?? p.libsAfterContext ?? {};
      probe = { renderer: p.gl?.renderer ?? null, context: p.gl?.context ?? null, driver: libs.driver ?? null, nvidia: libs.nvidia ?? [], gpujs: p.gpujs ?? null };
    }
  } catch (err) {
    probe = { error: `cannot read ${path.join(outDir, 'probes.jsonl')}: ${(err as Error).message}` };
  }
  return { variant, probe };
}

/** Classifies the GL driver from the renderer string and the mapped libraries (see the file comment). */
export function classifyDriver(renderer: string | null, libraries: readonly string[]): GlDriver {
  if (renderer !== null && /llvmpipe/i.test(renderer)) return 'mesa-llvmpipe';
  if (renderer !== null && /softpipe/i.test(renderer)) return 'mesa-softpipe';
  if (libraries.some((l) => NVIDIA_LIB.test(l)) && (renderer === null || /nvidia/i.test(renderer))) return 'nvidia';
  if (libraries.some((l) => MESA_LIB.test(l))) return 'mesa';
  return renderer === null ? 'none' : 'other';
}

/**
 * The facts for `mode`, read after the rows' first backend was made (so the driver is mapped).
 * Modes other than headlessgl run on the CPU by construction.
 */
export function glFacts(mode: string, outDir: string): GlFacts {
  const kit = kitProbe(outDir);
  if (mode !== 'headlessgl') {
    return { mode, renderer: null, vendor: null, version: null, driverLibraries: [], driver: 'none', onGpu: false, label: `gpu.js ${mode} mode: the CPU (NOT a GPU figure)`, kit };
  }
  const strings = nativeGlStrings();
  const driverLibraries = mappedDriverLibraries();
  const driver = classifyDriver(strings.renderer, driverLibraries);
  const onGpu = driver === 'nvidia';
  const where = strings.renderer ?? 'no GL context';
  const label = onGpu ? `gpu.js headlessgl on ${where} (NVIDIA driver)` : `gpu.js headlessgl on ${where} (driver ${driver}: NOT a GPU figure)`;
  return { mode, ...strings, driverLibraries, driver, onGpu, label, kit };
}
