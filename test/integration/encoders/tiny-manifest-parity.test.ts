/**
 * @jest-environment <rootDir>/test/integration/encoders/onnx.environment.js
 */
import * as path from 'node:path';
import { describeModelParity } from './model-parity';

// test/fixtures/tiny-manifest is written by make_tiny_manifest.py with the same golden format as training.
describeModelParity('tiny manifest-layout fixture', path.resolve(__dirname, '../../fixtures/tiny-manifest'), { minTokenizerCases: 30 });
