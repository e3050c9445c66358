import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { buildSchema, getOperationAST, GraphQLSchema, parse, validate, type OperationDefinitionNode } from 'graphql';
import { getVariableValues } from 'graphql/execution/values';
import { loadOperations, type WebOperations } from '../../../src/web/operations';

const root = path.resolve(__dirname, '../../..');
const schemaDir = path.join(root, 'schema');
const operationsDir = path.join(root, 'src/web/operations');

function loadSchema(): GraphQLSchema {
  const sdl = readdirSync(schemaDir)
    .filter((f) => f.endsWith('.graphql'))
    .sort()
    .map((f) => readFileSync(path.join(schemaDir, f), 'utf8'))
    .join('\n');
  return buildSchema(sdl);
}

describe('web operations', () => {
  let schema: GraphQLSchema;
  let operations: WebOperations;
  beforeAll(async () => {
    schema = loadSchema();
    operations = await loadOperations(operationsDir);
  });

  it('preloads the playground with the documented examples, in order', () => {
    const names = operations.playground.map((tab) => getOperationAST(parse(tab.query))?.name?.value);
    expect(names).toEqual([
      'TextSearch',
      'ImageSearch',
      'ComposedSearch',
      'SimilarProducts',
      'UpsertProducts',
      'RecordSearchEvents',
      'ServiceInfo',
      'QueryUnderstanding',
      'AttributesFromPictures',
    ]);
  });

  it('every playground example is valid against the schema, variables included', () => {
    for (const tab of operations.playground) {
      const document = parse(tab.query);
      expect([tab.name, validate(schema, document).map((e) => e.message)]).toEqual([tab.name, []]);
      const operation = getOperationAST(document) as OperationDefinitionNode;
      const variables = tab.variables ? JSON.parse(tab.variables) : {};
      const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables);
      expect([tab.name, (coerced.errors ?? []).map((e) => e.message)]).toEqual([tab.name, []]);
    }
  });

  it('the text search example uses a filter and facets', () => {
    const variables = JSON.parse(operations.playground[0].variables);
    expect(variables.input.text).toEqual(expect.any(String));
    expect(variables.input.filter).toBeDefined();
    expect(variables.input.facets.length).toBeGreaterThan(0);
  });

  it('the composed example sends an image and a modifier', () => {
    const variables = JSON.parse(operations.playground[2].variables);
    expect(variables.input.image.productId).toEqual(expect.any(String));
    expect(variables.input.modifier).toEqual(expect.any(String));
  });

  it('the lab document is valid against the schema and names the operations the lab sends', () => {
    const document = parse(operations.lab);
    expect(validate(schema, document).map((e) => e.message)).toEqual([]);
    const names = document.definitions
      .filter((d): d is OperationDefinitionNode => d.kind === 'OperationDefinition')
      .map((d) => d.name?.value);
    expect(names.sort()).toEqual([
      'LabDeleteRule',
      'LabPreviewRule',
      'LabProduct',
      'LabProducts',
      'LabPublishRules',
      'LabRollbackRules',
      'LabRuleAudit',
      'LabRuleBook',
      'LabSearch',
      'LabServiceInfo',
      'LabUpsertRule',
    ]);
    // The lab's modules (lab.js and the rules page's lab-*.js) send exactly these.
    const assets = path.join(root, 'src/web/assets');
    const labModules = readdirSync(assets).filter((f) => /^lab(-[\w-]+)?\.js$/.test(f));
    expect(labModules).toEqual(expect.arrayContaining(['lab.js', 'lab-rules.js']));
    const sent = labModules.flatMap((f) => [...readFileSync(path.join(assets, f), 'utf8').matchAll(/graphql\('(\w+)'/g)].map((m) => m[1]));
    expect(new Set(sent)).toEqual(new Set(names));
  });

  it('the lab builds search inputs the schema accepts', () => {
    const document = parse(operations.lab);
    const operation = getOperationAST(document, 'LabSearch') as OperationDefinitionNode;
    const input = {
      text: 'red dress',
      image: { productId: 'p-1' },
      modifier: 'same but in blue',
      filter: { attributes: [{ attribute: 'color', anyOf: ['red'] }, { attribute: 'brand', noneOf: ['x'] }], price: { min: 1, max: 2 }, inStock: true },
      facets: ['category'],
      first: 24,
      after: 'cursor',
      context: 'sale',
    };
    expect(getVariableValues(schema, operation.variableDefinitions ?? [], { input }).errors ?? []).toEqual([]);
  });

  it('the rules page builds rule inputs the schema accepts', () => {
    const document = parse(operations.lab);
    // What the editor sends for a rule made from result cards (pin, hide, boost brand) with its common fields.
    const rule = {
      id: 'overcoat-for-women.sale',
      description: 'Merchandising for “overcoat for women” in sale',
      enabled: true,
      conditions: { query: { is: ['overcoat for women'], contains: ['overcoat'] }, contexts: ['sale'] },
      actions: {
        pins: [{ productId: 'p-1', position: 1 }],
        hide: ['p-2'],
        boosts: [{ attribute: 'brand', values: ['Hollis'], weight: 0.5 }],
        synonyms: [{ terms: ['overcoat', 'coat'], oneWay: false }],
        redirect: { url: '/sale', keepResults: true },
        filter: { attributes: [{ attribute: 'color', anyOf: ['red'] }], and: [{ not: { inStock: false } }] },
      },
    };
    const coerce = (name: string, variables: Record<string, unknown>) =>
      (getVariableValues(schema, (getOperationAST(document, name) as OperationDefinitionNode).variableDefinitions ?? [], variables).errors ?? []).map((e) => e.message);
    expect(coerce('LabUpsertRule', { rule, expectedRevision: 0 })).toEqual([]);
    expect(coerce('LabPreviewRule', { rule, queries: ['overcoat for women'], context: 'sale', depth: 20 })).toEqual([]);
    expect(coerce('LabDeleteRule', { id: rule.id, expectedRevision: 3 })).toEqual([]);
    expect(coerce('LabPublishRules', { note: 'pin', expectedRelease: 0 })).toEqual([]);
    expect(coerce('LabRollbackRules', { version: 1, note: null })).toEqual([]);
    expect(coerce('LabRuleAudit', { ruleId: null, first: 50 })).toEqual([]);
  });
});
