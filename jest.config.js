/** Test tiers (see test/README.md): unit, contract, integration, e2e. */
const transform = { '^.+\\.tsx?$': ['ts-jest', { isolatedModules: true, diagnostics: false }] };
const tier = (name, extra = {}) => ({
  displayName: name,
  testEnvironment: 'node',
  transform,
  roots: [`<rootDir>/test/${name}`],
  testMatch: ['**/*.test.ts'],
  ...extra,
});
module.exports = {
  projects: [
    tier('unit'),
    tier('contract'),
    tier('integration', { slowTestThreshold: 30 }),
    tier('e2e', { slowTestThreshold: 60 }),
  ],
};
