/**
 * chiSquareGof, the oracle of every sampler test, against scipy.stats.chisquare (values computed
 * with scipy 1.x: chisquare([18, 25, 30, 27], [20, 25, 30, 25]) and, after pooling,
 * chisquare([4, 40, 56], [5, 45, 50])).
 */
import { chiSquareGof } from '../../src';

describe('chiSquareGof', () => {
  it('matches scipy on a plain table', () => {
    const r = chiSquareGof([18, 25, 30, 27], [0.2, 0.25, 0.3, 0.25]);
    expect(r.statistic).toBeCloseTo(0.36, 12);
    expect(r.df).toBe(3);
    expect(r.pValue).toBeCloseTo(0.9483757589703067, 10);
  });

  it('pools cells in order until each expects at least 5, as scipy on the pooled table', () => {
    const r = chiSquareGof([3, 1, 40, 56], [0.02, 0.03, 0.45, 0.5]);
    expect(r.bins).toBe(3);
    expect(r.statistic).toBeCloseTo(1.4755555555555555, 12);
    expect(r.pValue).toBeCloseTo(0.47817534759880886, 10);
  });

  it('rejects counts from another distribution', () => {
    expect(chiSquareGof([700, 300], [0.5, 0.5]).pValue).toBeLessThan(1e-30);
    expect(chiSquareGof([500, 500], [0.5, 0.5]).pValue).toBe(1);
  });
});
