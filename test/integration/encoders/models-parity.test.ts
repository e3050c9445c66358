/**
 * @jest-environment <rootDir>/test/integration/encoders/onnx.environment.js
 */
import * as path from 'node:path';
import { describeModelParity } from './model-parity';

// The trained models in models/ (written by training/): this suite fails when they are missing.
describeModelParity('trained models in models/', path.resolve(__dirname, '../../../models'), { minTokenizerCases: 200 });
