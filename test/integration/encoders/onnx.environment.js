/**
 * Jest's node environment gives each test file its own typed-array constructors, while native addons
 * (onnxruntime-node) create their output tensors with the process's constructors, so `instanceof
 * Float32Array` checks inside onnxruntime-common fail. This environment shares the process's typed
 * arrays with the test context. Use it with a docblock:
 *   @jest-environment <rootDir>/test/integration/encoders/onnx.environment.js
 */
const { TestEnvironment } = require('jest-environment-node');

const SHARED = [
  'ArrayBuffer',
  'SharedArrayBuffer',
  'Int8Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
];

class OnnxEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of SHARED) this.global[name] = globalThis[name];
  }
}

module.exports = OnnxEnvironment;
