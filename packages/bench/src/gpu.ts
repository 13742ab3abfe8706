/**
 * The gpu.js backend (@rbmlab/gpu) on the bench's Gibbs and PCD-1 workloads, in every gpu.js mode
 * this machine runs, beside rbmlab's default CPU backend measured in the same run:
 *
 *   gibbs-784x500x256/<backend>   block Gibbs with chains and weights on the device (the uniforms
 *                                 of each half-sweep made on the host and uploaded), sample-sweeps/s;
 *   pcd1-784x500-b100/<backend>   PCD-1 steps with the weights updated on the device, samples/s;
 *
 * tool "rbmlab-<cpu backend>", reference = that CPU figure, ratio = gpu / cpu. headless-gl needs an
 * X display: where DISPLAY is unset the bench starts Xvfb (packages/gpu/scripts/xvfb.js) when it
 * is installed. Modes that cannot run are listed with their reasons on stderr.
 */
import { gpuAvailability, gpuBenchmarks } from '@rbmlab/gpu';
import type { Row } from './row';

export interface GpuWorkloadOptions {
  readonly quick: boolean;
  /** rbmlab's CPU figures of the same workloads in this run (null where not measured). */
  readonly cpu: { readonly backend: string; readonly gibbs: number | null; readonly pcd: number | null };
  readonly log: (line: string) => void;
}

export async function gpuWorkloads(options: GpuWorkloadOptions): Promise<Row[]> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const xvfb = require('@rbmlab/gpu/scripts/xvfb.js') as { startXvfb(): Promise<{ started: boolean; reason?: string }>; stopXvfb(): Promise<void> };
  const display = await xvfb.startXvfb();
  try {
    const available = gpuAvailability();
    for (const [mode, reason] of Object.entries(available.reasons)) options.log(`bench: gpu.js mode ${mode} unavailable: ${reason}`);
    const rows = await gpuBenchmarks({ modes: available.modes, quick: options.quick, minSeconds: options.quick ? 0.5 : 2, log: options.log });
    return rows.map((r) => {
      const cpu = r.workload === 'gibbs-784x500x256' ? options.cpu.gibbs : options.cpu.pcd;
      return {
        workload: `${r.workload}/${r.backend}`,
        tool: `rbmlab-${options.cpu.backend}`,
        rbmlab: r.rate,
        reference: cpu,
        unit: r.unit,
        ratio: cpu === null ? null : r.rate / cpu,
        note: `${r.device}; ${r.count} ${r.workload.startsWith('gibbs') ? 'sweeps' : 'steps'} in ${r.seconds.toFixed(1)} s${display.started ? ' (under the Xvfb the bench started)' : ''}`,
      };
    });
  } finally {
    await xvfb.stopXvfb();
  }
}
