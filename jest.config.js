/**
 * Every test runs against real PostgreSQL. `test/global-setup.mjs` starts an embedded
 * server once per run (unless DATABASE_URL is set) and hands its URL to the workers via
 * process.env; each test file then creates and migrates a database of its own, so files
 * run in parallel workers without sharing rows.
 */
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
  },
  // type-graphql's decorators need the Reflect metadata API before any type module loads.
  setupFiles: ['reflect-metadata'],
  globalSetup: '<rootDir>/test/global-setup.mjs',
  globalTeardown: '<rootDir>/test/global-teardown.mjs',
  testTimeout: 60000,
  maxWorkers: 2,
};
