/**
 * One jest run over every package. Tests import the TypeScript sources directly (the
 * moduleNameMapper points @rbmlab/* at src/), so `jest` needs no build; `npm test` still runs
 * `tsc -b` first so that type errors fail the suite. ts-jest only transpiles (isolatedModules):
 * type checking is tsc's job, which keeps the suite fast on a 2-core machine.
 *
 * The environment is jest-environment-node-single-context: jest's default node environment runs
 * each test file in a vm context, where every lookup of a global (Math, Float64Array) goes
 * through an interceptor; measured here, a Math.exp loop ran 17x slower and a heat-bath sweep
 * 40x slower than in plain node, which made the statistical suites take many minutes.
 */
module.exports = {
  testEnvironment: 'jest-environment-node-single-context',
  roots: ['<rootDir>/packages'],
  testMatch: ['**/test/**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.base.json' }],
  },
  moduleNameMapper: {
    '^@rbmlab/core$': '<rootDir>/packages/core/src/index.ts',
    '^@rbmlab/core/(.*)$': '<rootDir>/packages/core/src/$1',
    '^@rbmlab/gpu$': '<rootDir>/packages/gpu/src/node.ts',
    '^@rbmlab/experiments$': '<rootDir>/packages/experiments/src/index.ts',
  },
  testTimeout: 120000,
  // an X display for headless-gl (the gpu package's headlessgl tests): Xvfb where DISPLAY is unset
  globalSetup: '<rootDir>/packages/gpu/test/xvfb-setup.js',
  globalTeardown: '<rootDir>/packages/gpu/test/xvfb-teardown.js',
};
