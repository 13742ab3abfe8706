/**
 * Pattern recovery: the Hungarian assignment against brute force over every injection of rows
 * into columns (square and rectangular, with ties), and the cosine overlaps against their
 * definition.
 */
import { createLayer, createRng, maxWeightAssignment, patternColumnOverlaps, patternRecovery, RBM, type Rng } from '@rbmlab/core';

/** The best total score over every one-to-one map of the smaller side into the larger, by brute force. */
function bruteForceBest(score: Float64Array, rows: number, cols: number): number {
  let best = -Infinity;
  const used = new Array<boolean>(Math.max(rows, cols)).fill(false);
  const small = Math.min(rows, cols);
  const at = (a: number, b: number): number => (rows <= cols ? score[a * cols + b] : score[b * cols + a]);
  const visit = (a: number, total: number): void => {
    if (a === small) {
      best = Math.max(best, total);
      return;
    }
    for (let b = 0; b < Math.max(rows, cols); b++) {
      if (used[b]) continue;
      used[b] = true;
      visit(a + 1, total + at(a, b));
      used[b] = false;
    }
  };
  visit(0, 0);
  return best;
}

function randomScores(rows: number, cols: number, rng: Rng, levels?: number): Float64Array {
  // `levels`: integer scores in 0..levels-1, so that ties are common
  return Float64Array.from({ length: rows * cols }, () => (levels ? rng.int(levels) : rng.uniform() * 2 - 1));
}

function checkAssignment(assignment: Int32Array, rows: number, cols: number): void {
  const seen = new Set<number>();
  let assigned = 0;
  for (const b of assignment) {
    if (b === -1) continue;
    expect(b).toBeGreaterThanOrEqual(0);
    expect(b).toBeLessThan(cols);
    expect(seen.has(b)).toBe(false);
    seen.add(b);
    assigned++;
  }
  expect(assigned).toBe(Math.min(rows, cols));
}

describe('maxWeightAssignment', () => {
  const shapes: [number, number][] = [[1, 1], [1, 5], [2, 2], [3, 3], [3, 7], [5, 2], [4, 4], [6, 6], [7, 3], [5, 6]];
  test.each(shapes)('%i x %i matches brute force (continuous and tied scores)', (rows, cols) => {
    const rng = createRng(`assignment-${rows}x${cols}`);
    for (let rep = 0; rep < 20; rep++) {
      const score = randomScores(rows, cols, rng, rep % 2 === 0 ? undefined : 3);
      const assignment = maxWeightAssignment(score, rows, cols);
      checkAssignment(assignment, rows, cols);
      let total = 0;
      assignment.forEach((b, a) => {
        if (b >= 0) total += score[a * cols + b];
      });
      expect(total).toBeCloseTo(bruteForceBest(score, rows, cols), 12);
    }
  });

  test('the identity is found when it is the unique optimum, and empty shapes give nothing', () => {
    const n = 9;
    const score = new Float64Array(n * n).fill(0.5);
    for (let a = 0; a < n; a++) score[a * n + ((a + 4) % n)] = 1;
    expect(Array.from(maxWeightAssignment(score, n, n))).toEqual(Array.from({ length: n }, (_, a) => (a + 4) % n));
    expect(Array.from(maxWeightAssignment([], 0, 3))).toEqual([]);
    expect(Array.from(maxWeightAssignment([], 2, 0))).toEqual([-1, -1]);
  });

  test('refuses bad shapes and non-finite scores', () => {
    expect(() => maxWeightAssignment([1, 2, 3], 2, 2)).toThrow(/expected 2 x 2/);
    expect(() => maxWeightAssignment([1, NaN], 1, 2)).toThrow(/not finite/);
  });
});

describe('patternRecovery', () => {
  const n = 7;
  const m = 3;
  // columns: 2 x pattern 1 (q = 1), -(pattern 0) plus a perpendicular part, and zero
  const xi = [
    [1, -1, 1, 1, -1, 1, -1],
    [1, 1, 1, -1, -1, -1, 1],
  ];
  const w = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    w[i * m + 0] = 2 * xi[1][i];
    w[i * m + 1] = -xi[0][i] + (i === 0 ? 3 : 0);
    w[i * m + 2] = 0;
  }
  const rbm = new RBM(createLayer('spin', n, {}, 'visible'), createLayer('spin', m), w);

  test('cosine overlaps by definition, 0 for a zero column', () => {
    const q = patternColumnOverlaps(xi, rbm);
    const cos = (a: number[], mu: number): number => {
      let dot = 0;
      let ww = 0;
      for (let i = 0; i < n; i++) {
        dot += a[i] * w[i * m + mu];
        ww += w[i * m + mu] ** 2;
      }
      return Math.abs(dot) / Math.sqrt(n * ww);
    };
    for (let a = 0; a < 2; a++) for (let mu = 0; mu < 2; mu++) expect(q[a * m + mu]).toBeCloseTo(cos(xi[a], mu), 14);
    expect(q[0 * m + 2]).toBe(0);
    expect(q[1 * m + 0]).toBeCloseTo(1, 14);
  });

  test('matches each pattern with its column and averages', () => {
    const r = patternRecovery(xi, rbm);
    expect(Array.from(r.assignment)).toEqual([1, 0]);
    expect(r.overlaps[1]).toBeCloseTo(1, 14);
    expect(r.mean).toBeCloseTo((r.overlaps[0] + r.overlaps[1]) / 2, 14);
    // pattern 0 against column 1, from the definition
    const col = Array.from({ length: n }, (_, i) => w[i * m + 1]);
    const dot = xi[0].reduce((s, x, i) => s + x * col[i], 0);
    expect(r.overlaps[0]).toBeCloseTo(Math.abs(dot) / Math.sqrt(n * col.reduce((s, x) => s + x * x, 0)), 14);
  });

  test('more patterns than hidden units: the unassigned ones count as 0', () => {
    const one = new RBM(createLayer('spin', n, {}, 'visible'), createLayer('spin', 1), Float64Array.from(xi[1]));
    const r = patternRecovery(xi, one);
    expect(Array.from(r.assignment)).toEqual([-1, 0]);
    expect(r.mean).toBeCloseTo(0.5, 14);
  });
});
