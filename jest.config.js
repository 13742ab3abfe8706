/**
 * One jest run over every package. Tests import the TypeScript sources directly (the
 * moduleNameMapper points @rbmlab/* at src/), so `jest` needs no build; `npm test` still runs
 * `tsc -b` first so that type errors fail the suite. ts-jest only transpiles (isolatedModules):
 * type checking is tsc's job, which keeps the suite fast on a 2-core machine.
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/packages'],
  testMatch: ['**/test/**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { isolatedModules: true, tsconfig: '<rootDir>/tsconfig.base.json' }],
  },
  moduleNameMapper: {
    '^@rbmlab/core$': '<rootDir>/packages/core/src/index.ts',
    '^@rbmlab/core/(.*)$': '<rootDir>/packages/core/src/$1',
    '^@rbmlab/experiments$': '<rootDir>/packages/experiments/src/index.ts',
  },
  testTimeout: 120000,
};
