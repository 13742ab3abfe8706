/** Small model files (as JSON values) shared by the CLI tests. */

/** Krotov F = x^3 on 6 spins, 2 patterns (rbmlab.dense/1). */
export const denseModel = {
  format: 'rbmlab.dense/1',
  size: 6,
  patterns: [
    [1, -1, 1, 1, -1, -1],
    [-1, -1, 1, -1, 1, 1],
  ],
  energy: { kind: 'krotov', F: 'power', p: 3 },
  beta: 0.02,
};
