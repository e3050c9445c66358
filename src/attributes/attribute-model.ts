/**
 * The attributes model (models/fashion-attributes/model.json, beside its ONNX file): heads on the
 * gallery image tower's embedding that predict visible attributes, one probability vector per
 * attribute, calibrated on validation. Like the outfit model, it describes itself in its own
 * model.json rather than in the encoders' manifest: it embeds nothing, it reads embeddings.
 *
 * model.json holds: name, version, file, requires (the image model whose embeddings it reads),
 * inputs (one: the embedding), outputs (one per attribute, named as the attribute), labels (each
 * attribute's values in output order), minConfidence (a predicted value at or above it is
 * filterable) and categoryFusion (how image queries' categories are predicted: classifier weight,
 * neighbours, the confidence above which a search filters by the category), all chosen on
 * validation (models/README.md, "Attributes from pictures").
 */
import { ModelLoadError } from '../encoders/model-load.error';

export interface CategoryFusionSpec {
  attribute: string;
  /** Neighbours read from the gallery. */
  k: number;
  /** p = classifierWeight * classifier + (1 - classifierWeight) * neighbours' share. */
  classifierWeight: number;
  /** A fused probability at or above it makes an image search filter by the category (else it boosts). */
  filterConfidence: number;
}

export interface AttributeModelSpec {
  name: string;
  version: string;
  file: string;
  /** The image model whose embeddings the heads read. */
  requires: string;
  input: { name: string; dim: number };
  /** Attribute name -> its values in the order of the output's probabilities. */
  labels: Record<string, string[]>;
  minConfidence: number;
  categoryFusion: CategoryFusionSpec | null;
  trainingDataHash: string | null;
  metrics: Record<string, unknown>;
}

type Json = Record<string, unknown>;

export function parseAttributeModelSpec(json: unknown, where: string): AttributeModelSpec {
  const fail = (problem: string): never => {
    throw new ModelLoadError('fashion-attributes', `${where}: ${problem}`);
  };
  if (typeof json !== 'object' || json === null || Array.isArray(json)) fail('must hold an object');
  const o = json as Json;
  const str = (k: string): string => (typeof o[k] === 'string' && (o[k] as string) !== '' ? (o[k] as string) : fail(`"${k}" must be a non-empty string`));
  const num = (v: unknown, what: string, lo: number, hi: number): number =>
    typeof v === 'number' && Number.isFinite(v) && v >= lo && v <= hi ? v : fail(`${what} must be a number from ${lo} to ${hi}`);
  const requires = Array.isArray(o.requires) ? o.requires[0] : o.requires;
  if (typeof requires !== 'string' || requires === '') fail('"requires" must name the image model whose embeddings the heads read');
  const inputs = o.inputs;
  if (!Array.isArray(inputs) || inputs.length !== 1) fail('"inputs" must list the one embedding input');
  const input = (inputs as Json[])[0];
  const shape = input.shape as unknown[];
  const dim = Array.isArray(shape) ? shape[shape.length - 1] : undefined;
  if (typeof input.name !== 'string' || typeof dim !== 'number') fail('"inputs"[0] needs a name and a shape [batch, dim]');
  const labels = o.labels;
  if (typeof labels !== 'object' || labels === null || Array.isArray(labels) || Object.keys(labels).length === 0) fail('"labels" must map each attribute to its values');
  for (const [name, values] of Object.entries(labels as Json)) {
    if (!Array.isArray(values) || values.length < 2 || values.some((v) => typeof v !== 'string')) fail(`labels.${name} must list at least two values`);
  }
  const outputs = o.outputs;
  const outputNames = Array.isArray(outputs) ? (outputs as Json[]).map((x) => x.name) : [];
  for (const name of Object.keys(labels as Json)) if (!outputNames.includes(name)) fail(`"outputs" has no output named "${name}" for labels.${name}`);
  let categoryFusion: CategoryFusionSpec | null = null;
  if (o.categoryFusion !== undefined && o.categoryFusion !== null) {
    const f = o.categoryFusion as Json;
    const attribute = typeof f.attribute === 'string' ? f.attribute : 'category';
    if (!(attribute in (labels as Json))) fail(`categoryFusion.attribute "${attribute}" has no labels`);
    const k = f.k;
    if (typeof k !== 'number' || !Number.isInteger(k) || k < 1 || k > 1000) fail('categoryFusion.k must be a whole number from 1 to 1000');
    categoryFusion = {
      attribute,
      k: k as number,
      classifierWeight: num(f.classifierWeight, 'categoryFusion.classifierWeight', 0, 1),
      filterConfidence: num(f.filterConfidence, 'categoryFusion.filterConfidence', 0, 1),
    };
  }
  const td = o.trainingData as Json | undefined;
  return {
    name: str('name'),
    version: str('version'),
    file: str('file'),
    requires: requires as string,
    input: { name: input.name as string, dim: dim as number },
    labels: labels as Record<string, string[]>,
    minConfidence: num(o.minConfidence, '"minConfidence"', 0, 1),
    categoryFusion,
    trainingDataHash: typeof td?.hash === 'string' ? td.hash : null,
    metrics: typeof o.metrics === 'object' && o.metrics !== null ? (o.metrics as Record<string, unknown>) : {},
  };
}
