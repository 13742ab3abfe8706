/**
 * The modes every gpu test body runs in: 'cpu' and 'webasm' (any Node), and 'headlessgl' where
 * headless-gl is built and an X display is up (jest's globalSetup starts Xvfb, xvfb-setup.js).
 * Without headless-gl the test 'headless-gl runs here' fails with the reason and the fix, unless
 * RBMLAB_ALLOW_NO_GL=1 (the policy of RBMLAB_ALLOW_NO_NATIVE in core's native tests).
 */
import { createGpuBackend, gpuAvailability, type GpuBackend, type GpuMode } from '@rbmlab/gpu';

export const availability = gpuAvailability();
export const allowNoGl = process.env.RBMLAB_ALLOW_NO_GL === '1';

/** Why headless-gl cannot run, with what jest's Xvfb setup found. */
export function headlessGlMissing(): string | undefined {
  const reason = availability.reasons.headlessgl;
  if (reason === undefined) return undefined;
  if (process.env.RBMLAB_XVFB_MISSING === '1') return `${reason} [Xvfb is not installed: apt-get install xvfb]`;
  if (process.env.RBMLAB_XVFB_FAILED) return `${reason} [Xvfb did not start: ${process.env.RBMLAB_XVFB_FAILED}]`;
  return reason;
}

export const MODES: GpuMode[] = ['cpu', 'webasm', ...(availability.modes.includes('headlessgl') ? (['headlessgl'] as GpuMode[]) : [])];

const backends = new Map<GpuMode, GpuBackend>();

/** One backend per mode and test file. */
export function backendFor(mode: GpuMode): GpuBackend {
  let b = backends.get(mode);
  if (b === undefined) {
    b = createGpuBackend({ mode });
    backends.set(mode, b);
  }
  return b;
}

afterAll(() => {
  for (const b of backends.values()) b.destroy();
  backends.clear();
});
