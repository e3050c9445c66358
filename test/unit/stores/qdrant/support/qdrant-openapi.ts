/**
 * Validates requests to and responses from Qdrant against its OpenAPI 1.19 specification with Ajv.
 *
 * The specification is looked up at ../shared/qdrant/openapi-1.19.json relative to the repository
 * root, then at /work/shared/qdrant/openapi-1.19.json. OpenAPI 3.0 schemas are turned into JSON
 * Schema: `nullable` becomes a null type, `$ref`s resolve into components/schemas.
 */
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

const REPO_ROOT = path.resolve(__dirname, '../../../../..');
export const SPEC_CANDIDATES = [
  path.resolve(REPO_ROOT, '..', 'shared/qdrant/openapi-1.19.json'),
  '/work/shared/qdrant/openapi-1.19.json',
];

export function findSpecPath(candidates: string[] = SPEC_CANDIDATES): string {
  const found = candidates.find((candidate) => existsSync(candidate));
  if (!found) {
    throw new Error(`Qdrant OpenAPI specification not found; looked at ${candidates.join(', ')}. Place openapi-1.19.json there.`);
  }
  return found;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** OpenAPI 3.0 schema -> JSON Schema (draft 7): nullable, component refs, OpenAPI-only keywords. */
export function toJsonSchema(node: Json): Json {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (node === null || typeof node !== 'object') return node;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'nullable' || key === 'example' || key === 'deprecated' || key === 'discriminator') continue;
    if (key === '$ref' && typeof value === 'string') {
      out.$ref = value.replace('#/components/schemas/', 'qdrant#/definitions/');
      continue;
    }
    // `properties` and `definitions` hold names, not keywords: convert their values only.
    if ((key === 'properties' || key === 'definitions') && value && typeof value === 'object' && !Array.isArray(value)) {
      out[key] = Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, toJsonSchema(sub)]));
      continue;
    }
    out[key] = toJsonSchema(value);
  }
  if ((node as JsonObject).nullable === true) {
    if (typeof out.type === 'string') {
      out.type = [out.type, 'null'];
      if (Array.isArray(out.enum)) out.enum = [...out.enum, null];
    } else if (out.type === undefined) {
      const { default: _ignored, ...rest } = out;
      if (Object.keys(rest).length === 0) return { type: 'null' };
      return { anyOf: [rest, { type: 'null' }] };
    }
  }
  return out;
}

const UINT_FORMATS: Record<string, number> = { uint: Number.MAX_SAFE_INTEGER, uint64: Number.MAX_SAFE_INTEGER, uint32: 2 ** 32 - 1, uint16: 65535, uint8: 255 };

export interface Operation {
  method: string;
  template: string;
  operationId: string;
  pattern: RegExp;
  body?: JsonObject;
  query: Record<string, JsonObject>;
  response?: JsonObject;
}

export class QdrantOpenApi {
  readonly operations: Operation[] = [];
  private readonly ajv: Ajv;
  private readonly compiled = new Map<JsonObject, ValidateFunction>();

  constructor(specPath: string = findSpecPath()) {
    const spec = JSON.parse(readFileSync(specPath, 'utf8'));
    this.ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
    addFormats(this.ajv);
    for (const [name, max] of Object.entries(UINT_FORMATS)) {
      this.ajv.addFormat(name, { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= 0 && n <= max });
    }
    this.ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) });
    this.ajv.addFormat('float', { type: 'number', validate: (n: number) => Number.isFinite(n) && Math.abs(n) <= 3.4028234663852886e38 });
    this.ajv.addFormat('partial-date-time', { type: 'string', validate: () => true });
    this.ajv.addFormat('double', { type: 'number', validate: (n: number) => Number.isFinite(n) });
    const definitions = Object.fromEntries(
      Object.entries(spec.components.schemas as JsonObject).map(([name, schema]) => [name, toJsonSchema(schema)]),
    );
    this.ajv.addSchema({ $id: 'qdrant', definitions });

    for (const [template, item] of Object.entries(spec.paths as Record<string, Record<string, any>>)) {
      for (const [method, op] of Object.entries(item)) {
        if (!['get', 'put', 'post', 'delete', 'patch'].includes(method)) continue;
        const pattern = new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`);
        const body = op.requestBody?.content?.['application/json']?.schema;
        const response = op.responses?.['200']?.content?.['application/json']?.schema;
        const query: Record<string, JsonObject> = {};
        for (const parameter of op.parameters ?? []) {
          if (parameter.in === 'query') query[parameter.name] = toJsonSchema(parameter.schema) as JsonObject;
        }
        this.operations.push({
          method: method.toUpperCase(),
          template,
          operationId: op.operationId,
          pattern,
          body: body ? (toJsonSchema(body) as JsonObject) : undefined,
          query,
          response: response ? (toJsonSchema(response) as JsonObject) : undefined,
        });
      }
    }
  }

  private validator(schema: JsonObject): ValidateFunction {
    let validate = this.compiled.get(schema);
    if (!validate) {
      validate = this.ajv.compile(schema);
      this.compiled.set(schema, validate);
    }
    return validate;
  }

  /** The operation a request addresses; literal paths win over templated ones. */
  find(method: string, pathname: string): Operation | undefined {
    const candidates = this.operations.filter((op) => op.method === method.toUpperCase() && op.pattern.test(pathname));
    candidates.sort((a, b) => (a.template.match(/\{/g)?.length ?? 0) - (b.template.match(/\{/g)?.length ?? 0));
    return candidates[0];
  }

  /** Problems of a request (empty when it conforms). */
  checkRequest(method: string, url: URL, body: unknown): { operation?: Operation; problems: string[] } {
    const operation = this.find(method, url.pathname);
    if (!operation) return { problems: [`${method} ${url.pathname} is not an operation of the Qdrant API`] };
    const problems: string[] = [];
    for (const [name, raw] of url.searchParams) {
      const schema = operation.query[name];
      if (!schema) {
        problems.push(`${operation.operationId}: unknown query parameter ${name}`);
        continue;
      }
      const validate = this.validator(schema);
      const value = raw === 'true' ? true : raw === 'false' ? false : /^-?\d+$/.test(raw) ? Number(raw) : raw;
      if (!validate(value)) problems.push(`${operation.operationId}: query ${name}=${raw}: ${this.ajv.errorsText(validate.errors)}`);
    }
    if (operation.body) {
      const validate = this.validator(operation.body);
      if (body === undefined) problems.push(`${operation.operationId}: request body missing`);
      else if (!validate(body)) problems.push(`${operation.operationId}: ${this.ajv.errorsText(validate.errors, { dataVar: 'body' })}`);
    } else if (body !== undefined) {
      problems.push(`${operation.operationId}: takes no request body`);
    }
    return { operation, problems };
  }

  /** Problems of a 200 answer to an operation (empty when it conforms). */
  checkResponse(operation: Operation, body: unknown): string[] {
    if (!operation.response) return [];
    const validate = this.validator(operation.response);
    if (validate(body)) return [];
    return [`${operation.operationId} response: ${this.ajv.errorsText(validate.errors, { dataVar: 'response' })}`];
  }

  /** Validates a value against a named schema of components/schemas. */
  checkSchema(name: string, value: unknown): string[] {
    const validate = this.ajv.getSchema(`qdrant#/definitions/${name}`);
    if (!validate) throw new Error(`no schema ${name} in the specification`);
    return validate(value) ? [] : [`${name}: ${this.ajv.errorsText(validate.errors)}`];
  }
}

let shared: QdrantOpenApi | undefined;
/** One parsed specification per test file. */
export function qdrantOpenApi(): QdrantOpenApi {
  shared ??= new QdrantOpenApi();
  return shared;
}
