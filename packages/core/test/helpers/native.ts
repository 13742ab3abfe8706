/**
 * Suites that need the native backend (@rbmlab/native). CI builds it, so where it is missing each
 * such suite fails with the reason; RBMLAB_ALLOW_NO_NATIVE=1 turns that failure into a notice, for
 * running the rest of the suite on a machine without a compiler or OpenBLAS. Nothing is skipped
 * silently.
 */
import { loadNativeBackend } from '../../src';

const loaded = loadNativeBackend();

/** describe(name, body) where the native backend loads; otherwise one test that says why it cannot run. */
export function describeNative(name: string, body: () => void): void {
  if (loaded.backend !== undefined) {
    describe(name, body);
    return;
  }
  describe(name, () => {
    it('needs the native backend', () => {
      if (process.env.RBMLAB_ALLOW_NO_NATIVE === '1') {
        process.stderr.write(`${name}: native backend unavailable (${loaded.reason}); allowed by RBMLAB_ALLOW_NO_NATIVE=1\n`);
        return;
      }
      throw new Error(`the native backend did not load: ${loaded.reason} (apt-get install g++ libopenblas-dev, then npm rebuild @rbmlab/native; or RBMLAB_ALLOW_NO_NATIVE=1)`);
    });
  });
}

/** describeNative once per (name, backend) pair; the pairs are empty without the native backend. */
export function describeEachNative<B>(pairs: readonly [string, B][], title: string, body: (name: string, backend: B) => void): void {
  if (pairs.length === 0) {
    describeNative(title.replace('%s', 'native'), () => undefined);
    return;
  }
  for (const [name, backend] of pairs) describeNative(title.replace('%s', name), () => body(name, backend));
}
