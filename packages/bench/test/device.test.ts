/**
 * The device bench (src/device, bin/device.js): that a run writes every row of both tools and
 * their ratios, says which device and which reference ran (never a CPU figure as a GPU one, never
 * numpy as PyTorch), and refuses bad flags in one line. The end-to-end run uses gpu.js's cpu mode
 * and quick sizes (about 10 s); it runs the built bin (`npm test` builds it first), as the device
 * does, and the reference with the anchors' Python (numpy; PyTorch where it is installed).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { classifyDriver, type GlFacts } from '../src/device/gl';
import { compare } from '../src/device/main';
import { workloads } from '../src/device/plan';
import type { DeviceRow } from '../src/device/rows';

const root = path.resolve(__dirname, '..', '..', '..');
const bin = path.join(root, 'packages', 'bench', 'bin', 'device.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rbmlab-device-test-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The anchors' Python (numpy + scikit-learn, as the bench uses), else python3. */
function anchorPython(): string {
  const setup = path.join(process.env.RBMLAB_ANCHORS ?? path.resolve(root, '..', 'shared', 'anchors'), 'setup.sh');
  try {
    return execFileSync('bash', [setup], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'python3';
  }
}

function run(args: string[]) {
  return spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', timeout: 100000, env: { ...process.env, OUT: '' } });
}

describe('bench-device end to end (gpu.js cpu mode, quick sizes)', () => {
  const out = path.join(dir, 'run');
  let res: ReturnType<typeof run>;
  let json: any;
  beforeAll(() => {
    res = run(['--quick', '--mode', 'cpu', '--min-seconds', '0.05', '--budget', '90', '--python', anchorPython(), '--out', out]);
    json = JSON.parse(fs.readFileSync(path.join(out, 'bench-device.json'), 'utf8'));
  });

  test('exits 0 and ends stdout with the table of every workload', () => {
    expect(res.stderr).not.toMatch(/Error|Traceback/);
    expect(res.status).toBe(0);
    const tail = res.stdout.slice(res.stdout.indexOf('== rbmlab device bench'));
    for (const w of workloads(true, ['gibbs', 'pcd', 'dense'])) expect(tail).toContain(w.key);
    expect(tail).toContain(`JSON: ${path.join(out, 'bench-device.json')}`);
  });

  test('every workload has a checked gpu.js row, a reference row and their ratio', () => {
    const keys = workloads(true, ['gibbs', 'pcd', 'dense']).map((w) => w.key);
    expect(json.gpujs.map((r: DeviceRow) => r.key)).toEqual(keys);
    for (const r of json.gpujs as DeviceRow[]) {
      expect(r).toMatchObject({ tool: 'gpujs-cpu', status: 'ok', onGpu: false });
      expect(r.rate).toBeGreaterThan(0);
      expect(r.check).toBeDefined();
    }
    expect(['torch-cuda', 'torch-cpu', 'numpy-cpu']).toContain(json.reference.tool);
    for (const key of keys) {
      const g = json.gpujs.find((r: DeviceRow) => r.key === key);
      const ref = json.reference.rows.find((r: DeviceRow) => r.key === key);
      expect(ref).toMatchObject({ status: 'ok', tool: json.reference.tool });
      const c = json.comparison.find((x: { key: string }) => x.key === key);
      expect(c.ratio).toBeCloseTo(g.rate / ref.rate, 10);
      expect(c.referenceTool).toBe(json.reference.tool);
    }
  });

  test('says the gpu.js rows ran on the CPU, and names a numpy reference as numpy', () => {
    expect(json.gl).toMatchObject({ mode: 'cpu', onGpu: false });
    expect(res.stdout).toMatch(/gpu\.js:\s+gpu\.js cpu mode: the CPU \(NOT a GPU figure\)/);
    // targets are for an H200: not judged on a CPU run
    const judged = json.comparison.filter((c: { target: number | null }) => c.target !== null);
    expect(judged.length).toBeGreaterThan(0);
    for (const c of judged) expect(c.targetMet).toBeNull();
    if (json.reference.tool === 'numpy-cpu') {
      expect(json.reference.torch).toBeNull();
      expect(json.reference.fallbackReason).toMatch(/torch does not import/);
      expect(res.stdout).toMatch(/reference: numpy-cpu: numpy \S+ on the CPU, .*\(NOT PyTorch\)/);
      expect(res.stdout).not.toMatch(/PyTorch \S+ (fp32|on the CPU)/);
    }
  });
});

describe('bench-device flags', () => {
  test.each([
    [['--budget', '0'], 'bench-device: --budget needs a positive number of seconds, got "0"'],
    [['--only', 'gibbs,bogus'], 'bench-device: --only takes gibbs, pcd, dense (comma-separated), got bogus'],
    [['--mode', 'webgl'], 'bench-device: --mode must be one of headlessgl, webasm, cpu, got webgl'],
    [['--quikc'], 'bench-device: unknown argument --quikc'],
    [['--python'], 'bench-device: --python needs a value'],
  ])('%j is one line and exit code 2', (args, message) => {
    const r = run(args);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`${message} (--help lists the flags)\n`);
  });
});

describe('which device a row ran on', () => {
  const nvidiaLibs = ['libEGL_nvidia.so.0', 'libnvidia-eglcore.so.580.159.04'];
  test('llvmpipe or softpipe in the renderer is never a GPU, even with NVIDIA libraries mapped (glvnd fell back to Mesa)', () => {
    expect(classifyDriver('ANGLE (Mesa/X.org llvmpipe (LLVM 15.0.6, 256 bits) OpenGL 4.5 core)', [...nvidiaLibs, 'swrast_dri.so'])).toBe('mesa-llvmpipe');
    expect(classifyDriver('ANGLE (Mesa/X.org softpipe OpenGL 3.3 core)', nvidiaLibs)).toBe('mesa-softpipe');
  });
  test("NVIDIA's renderer with its libraries mapped is the GPU; its renderer without them is not", () => {
    expect(classifyDriver('ANGLE (NVIDIA Corporation NVIDIA H200/PCIe/SSE2 OpenGL 4.5 core)', nvidiaLibs)).toBe('nvidia');
    expect(classifyDriver('ANGLE (NVIDIA Corporation NVIDIA H200/PCIe/SSE2 OpenGL 4.5 core)', [])).toBe('other');
    expect(classifyDriver(null, ['swrast_dri.so'])).toBe('mesa');
  });
  test('targets are judged only for rows that ran on the GPU', () => {
    const row = (rate: number): DeviceRow => ({ key: 'gibbs-784x500-c256', kind: 'gibbs', tool: 'gpujs-headlessgl', unit: 'sample-sweeps/s', status: 'ok', rate });
    const ref = { tool: 'torch-cuda', python: 'python3', rows: [{ ...row(400_000), tool: 'torch-cuda' }] };
    const gl = (onGpu: boolean) => ({ onGpu }) as GlFacts;
    expect(compare([row(150_000)], ref, gl(true))[0]).toMatchObject({ ratio: 0.375, target: 100_000, targetMet: true });
    expect(compare([row(50_000)], ref, gl(true))[0]).toMatchObject({ targetMet: false });
    expect(compare([row(150_000)], ref, gl(false))[0]).toMatchObject({ targetMet: null });
  });
});
