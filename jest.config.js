/** Test tiers (see test/README.md): unit, contract, integration, e2e. */
const transform = { '^.+\\.tsx?$': ['ts-jest', { isolatedModules: true, diagnostics: false }] };
// onnxruntime-node builds tensors with the process's typed-array constructors; this environment
// shares them with each test file so suites that run ONNX models see the same Float32Array.
const onnxEnvironment = '<rootDir>/test/integration/encoders/onnx.environment.js';
const tier = (name, extra = {}) => ({
  displayName: name,
  testEnvironment: onnxEnvironment,
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
