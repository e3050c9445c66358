import * as path from 'node:path';
import type { TensorSpec } from '../manifest';
import { ModelLoadError } from '../model-load.error';
import type { ModelSession, SessionFactory } from './onnx-session.factory';

interface ModelSpec {
  name: string;
  file: string;
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  dim: number;
}

/** Opens a manifest model's ONNX file and checks its signature; a failure names the model and file. */
export async function openCheckedSession(sessions: SessionFactory, modelsDir: string, spec: ModelSpec, optionalInputs: string[] = []): Promise<ModelSession> {
  const file = path.join(modelsDir, spec.file);
  const session = await sessions.create(file).catch((err: Error) => {
    throw new ModelLoadError(spec.name, `could not load ${file} (${err.message})`);
  });
  checkSignature(spec.name, session, spec, optionalInputs);
  return session;
}

/**
 * Checks that the ONNX graph has the input and output names the manifest declares (and no other
 * required input), and that the declared output's last axis, where fixed, is the embedding dimension.
 */
export function checkSignature(model: string, session: ModelSession, spec: { inputs: TensorSpec[]; outputs: TensorSpec[]; dim: number }, optionalInputs: string[] = []): void {
  const graphInputs = session.inputs.map((i) => i.name);
  const graphOutputs = session.outputs.map((o) => o.name);
  const declared = spec.inputs.map((i) => i.name);
  const missing = declared.filter((n) => !graphInputs.includes(n));
  if (missing.length) {
    throw new ModelLoadError(model, `the ONNX graph has no input ${missing.map((n) => `"${n}"`).join(', ')} (graph inputs: ${graphInputs.join(', ')}); fix the manifest's inputs or re-export the model`);
  }
  const extra = graphInputs.filter((n) => !declared.includes(n) && !optionalInputs.includes(n));
  if (extra.length) {
    throw new ModelLoadError(model, `the ONNX graph needs inputs not in the manifest: ${extra.join(', ')}`);
  }
  const out = spec.outputs[0].name;
  const info = session.outputs.find((o) => o.name === out);
  if (!info) {
    throw new ModelLoadError(model, `the ONNX graph has no output "${out}" (graph outputs: ${graphOutputs.join(', ')}); fix the manifest's outputs or re-export the model`);
  }
  const last = info.shape?.[info.shape.length - 1];
  if (typeof last === 'number' && last !== spec.dim) {
    throw new ModelLoadError(model, `output "${out}" has dimension ${last} but the manifest says dim ${spec.dim}`);
  }
  const declaredLast = spec.outputs[0].shape[spec.outputs[0].shape.length - 1];
  if (typeof declaredLast === 'number' && declaredLast !== spec.dim) {
    throw new ModelLoadError(model, `the manifest declares output "${out}" with dimension ${declaredLast} but dim ${spec.dim}`);
  }
}

/** Checks the dimension of an actual model output (probe run at load). */
export function checkOutputDim(model: string, dims: readonly number[], dim: number): void {
  const last = dims[dims.length - 1];
  if (dims.length !== 2 || last !== dim) {
    throw new ModelLoadError(model, `the model returned shape [${dims.join(', ')}] but the manifest says [batch, ${dim}]`);
  }
}
