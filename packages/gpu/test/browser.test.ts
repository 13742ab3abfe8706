/**
 * The browser bundle in a real browser: builds dist/browser (browser/build.js), serves it on a
 * localhost port with Node's http module, opens index.html in Debian's chromium, headless,
 * driven by playwright-core, and asserts the page's self-check (browser/self-check.ts):
 *   - gpu.js ran in mode 'webgl2', and every kernel did (no silent fallback to the CPU);
 *   - the renderer is SwiftShader, which the flags below ask for (software WebGL2 through
 *     ANGLE on SwiftShader's Vulkan, so that the result is the same on every machine);
 *   - layer inputs agree with core's cpuBackend within float32 tolerance;
 *   - seeded block Gibbs fits the exact P(v) for three unit pairs (bernoulli x bernoulli, spin x
 *     relu, bernoulli x drelu): chi-square p >= 1e-6 each, so a correct sampler fails this fixed
 *     seed with probability 3e-6 in all (and each test has power: see self-check.ts);
 *   - the repeated seeded run gives identical bits;
 *   - the random numbers made in the WebGL2 kernels are core's to the bit (the generator's words
 *     over a grid of counters, and block Gibbs at probability 1/2 against deviceUniform).
 *
 * Chromium and playwright-core are required: where either is missing the test fails naming what
 * to install, unless RBMLAB_ALLOW_NO_BROWSER=1, where it passes with a notice on stderr.
 */
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';

const CHROMIUM = process.env.RBMLAB_CHROMIUM ?? '/usr/bin/chromium';
const ALLOW_NO_BROWSER = process.env.RBMLAB_ALLOW_NO_BROWSER === '1';
const DIST = path.resolve(__dirname, '..', 'dist', 'browser');
const P_FAIL = 1e-6;

/**
 * Chromium flags. The first seven keep a test browser quiet and stateless (with a fresh profile
 * directory from launchPersistentContext). --use-angle=swiftshader selects ANGLE's SwiftShader
 * (Vulkan) backend, i.e. software WebGL2, whatever GPU the machine has;
 * --enable-unsafe-swiftshader is what Chromium (since about 130) requires before it offers
 * SwiftShader to WebGL. (Debian's chromium 156 in headless mode gave WebGL2 on SwiftShader even
 * without them; they make the choice explicit.)
 */
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-angle=swiftshader',
  '--enable-unsafe-swiftshader',
];

/** What is missing to run this test, or null. */
function missingBrowser(): string | null {
  const missing: string[] = [];
  if (!fs.existsSync(CHROMIUM)) {
    missing.push(`chromium (${CHROMIUM}): install it with \`apt-get install --no-install-recommends chromium\` (Debian), or point RBMLAB_CHROMIUM at a Chromium binary`);
  }
  try {
    require.resolve('playwright-core');
  } catch {
    missing.push('playwright-core: run `npm install` at the repository root (a devDependency of @rbmlab/gpu; no `playwright install` is needed)');
  }
  return missing.length === 0 ? null : missing.join('; ');
}

function serve(root: string): Promise<http.Server> {
  const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.map': 'application/json' };
  const server = http.createServer((req, res) => {
    const name = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    const file = path.join(root, path.normalize(name === '/' ? '/index.html' : name));
    if (!file.startsWith(root + path.sep)) {
      res.writeHead(403).end();
      return;
    }
    fs.readFile(file, (err, data) => {
      if (err) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream' }).end(data);
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe('the browser bundle runs its self-check in headless chromium on WebGL2', () => {
  it('reports webgl2, agrees with the CPU reference, fits exact P(v) and repeats', async () => {
    const missing = missingBrowser();
    if (missing !== null) {
      if (ALLOW_NO_BROWSER) {
        process.stderr.write(`browser.test: not run (RBMLAB_ALLOW_NO_BROWSER=1): missing ${missing}\n`);
        return;
      }
      throw new Error(`the browser test needs ${missing} (or set RBMLAB_ALLOW_NO_BROWSER=1 to pass without it)`);
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { build } = require('../browser/build.js') as { build: () => Promise<void> };
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { chromium } = require('playwright-core') as typeof import('playwright-core');
    await build();

    const server = await serve(DIST);
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'rbmlab-chromium-'));
    const log: string[] = [];
    let context: import('playwright-core').BrowserContext | undefined;
    try {
      context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
      const page = context.pages()[0] ?? (await context.newPage());
      page.on('console', (m) => log.push(`console.${m.type()}: ${m.text()}`));
      page.on('pageerror', (e) => log.push(`pageerror: ${e.message}`));
      const port = (server.address() as { port: number }).port;
      await page.goto(`http://127.0.0.1:${port}/index.html`);
      const handle = await page.waitForFunction(() => (window as unknown as { __rbmlabResult?: unknown }).__rbmlabResult, null, {
        timeout: 90000,
        polling: 100,
      });
      const result = (await handle.jsonValue()) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
      const text = await page.textContent('#status');
      process.stderr.write(
        `browser.test: ${text}\n  renderer: ${result.renderer}\n` +
          (result.gof ?? []).map((g: any) => `  gof ${g.model}: chi-square ${g.statistic.toFixed(1)} on ${g.df} df, p = ${g.pValue.toPrecision(3)} (wrong model: p = ${g.powerPValue.toExponential(1)})\n`).join('') + // eslint-disable-line @typescript-eslint/no-explicit-any
          `  timings (ms): ${JSON.stringify(result.timingsMs)}\n`,
      );
      if (!Array.isArray(result.failures) || result.failures.length > 0) {
        throw new Error(`the self-check failed:\n${JSON.stringify(result, null, 2)}\npage log:\n${log.join('\n')}`);
      }
      expect(result.mode).toBe('webgl2');
      const modes = Object.values(result.kernelModes as Record<string, string>);
      expect(modes.length).toBeGreaterThan(0);
      expect(new Set(modes)).toEqual(new Set(['webgl2']));
      expect(result.renderer).toMatch(/SwiftShader/);
      expect(result.agreement.ok).toBe(true);
      expect(result.agreement.hidden.maxRatio).toBeLessThanOrEqual(1);
      expect(result.agreement.visible.maxRatio).toBeLessThanOrEqual(1);
      expect(result.gof.length).toBe(3);
      for (const g of result.gof) {
        expect(g.pValue).toBeGreaterThanOrEqual(P_FAIL);
        expect(g.powerPValue).toBeLessThan(P_FAIL);
      }
      expect(result.repeat.identical).toBe(true);
      expect(result.uniforms.words).toBe(3 * 128 * 48);
      expect(result.uniforms.wordMismatches).toBe(0);
      expect(result.uniforms.states).toBe(3 * 6 * 17);
      expect(result.uniforms.stateMismatches).toBe(0);
      expect(result.ok).toBe(true);
      expect(text).toMatch(/^PASS: mode webgl2/);
    } finally {
      await context?.close();
      await new Promise((resolve) => server.close(resolve));
      fs.rmSync(profile, { recursive: true, force: true });
    }
  });
});
