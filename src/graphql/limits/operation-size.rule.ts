/**
 * A validation rule bounding the shape of every operation before anything runs: its depth (nested
 * selection levels) and its number of field selections, aliases and fragment expansions counted
 * (5,000 aliases of `search` are 5,000 fields). Fragment spreads are expanded as often as they are
 * used, so a "fragment bomb" (each fragment spreading the previous one twice) counts as the
 * exponential number of fields it would execute. Counting saturates at Infinity; a chain of
 * fragments too long to measure is refused as too deep.
 *
 * Written here rather than taken from graphql-depth-limit: that package counts depth only, is not
 * maintained for graphql 16, and one walk gives both numbers. Apollo's `maxRecursiveSelections`
 * counts selections but would move our other rules behind a second validation pass.
 * Refusals are GraphQL validation errors (code GRAPHQL_VALIDATION_FAILED, HTTP 400) whose extensions
 * name the limit (`limit`, `maximum`, `actual`).
 */
import {
  GraphQLError,
  Kind,
  type ASTVisitor,
  type DocumentNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
} from 'graphql';

export interface OperationSizeLimits {
  /** Deepest selection level (a root field is level 1). */
  maxDepth: number;
  /** Most field selections in one operation, aliases and fragment expansions counted. */
  maxFields: number;
}

export interface OperationSize {
  depth: number;
  fields: number;
}

/** Depth and field count of one operation of `document`; throws RangeError on a fragment chain too long to follow. */
export function measureOperation(document: DocumentNode, operation: OperationDefinitionNode): OperationSize {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const memo = new Map<string, OperationSize>();
  const visiting = new Set<string>();

  const fragment = (name: string): OperationSize => {
    const known = memo.get(name);
    if (known) return known;
    const definition = fragments.get(name);
    // Unknown fragments and cycles are reported by graphql's own rules; they add nothing here.
    if (!definition || visiting.has(name)) return { depth: 0, fields: 0 };
    visiting.add(name);
    const size = selections(definition.selectionSet);
    visiting.delete(name);
    memo.set(name, size);
    return size;
  };

  const selections = (set: SelectionSetNode): OperationSize => {
    let depth = 0;
    let fields = 0;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        const child = selection.selectionSet ? selections(selection.selectionSet) : { depth: 0, fields: 0 };
        depth = Math.max(depth, 1 + child.depth);
        fields += 1 + child.fields;
      } else {
        const child = selection.kind === Kind.INLINE_FRAGMENT ? selections(selection.selectionSet) : fragment(selection.name.value);
        depth = Math.max(depth, child.depth);
        fields += child.fields;
      }
    }
    return { depth, fields };
  };

  return selections(operation.selectionSet);
}

/** The refusals `operation` earns under `limits` (empty when it is within them). */
export function operationSizeErrors(document: DocumentNode, operation: OperationDefinitionNode, limits: OperationSizeLimits): GraphQLError[] {
  const name = operation.name ? `operation "${operation.name.value}"` : 'the operation';
  let size: OperationSize;
  try {
    size = measureOperation(document, operation);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    return [limitError(`${name} nests fragments too deeply to run: use at most ${limits.maxDepth} levels`, 'depth', limits.maxDepth, null, operation)];
  }
  const errors: GraphQLError[] = [];
  if (size.depth > limits.maxDepth) {
    errors.push(limitError(`${name} is ${size.depth} levels deep; at most ${limits.maxDepth} are allowed: select fewer nested levels`, 'depth', limits.maxDepth, size.depth, operation));
  }
  if (size.fields > limits.maxFields) {
    const actual = Number.isFinite(size.fields) ? String(size.fields) : 'too many';
    errors.push(
      limitError(
        `${name} selects ${actual} fields (aliases and fragment expansions counted); at most ${limits.maxFields} are allowed: split it into several requests`,
        'fields',
        limits.maxFields,
        Number.isFinite(size.fields) ? size.fields : null,
        operation,
      ),
    );
  }
  return errors;
}

function limitError(message: string, limit: 'depth' | 'fields', maximum: number, actual: number | null, node: OperationDefinitionNode): GraphQLError {
  return new GraphQLError(message, { nodes: [node], extensions: { limit, maximum, actual } });
}

/** The validation rule: every operation of the document within `limits`. */
export function createOperationSizeRule(limits: OperationSizeLimits): (context: ValidationContext) => ASTVisitor {
  for (const [name, v] of Object.entries(limits)) {
    if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`${name} must be a positive integer (got ${v})`);
  }
  return (context) => ({
    Document(document) {
      for (const definition of document.definitions) {
        if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
        for (const error of operationSizeErrors(document, definition, limits)) context.reportError(error);
      }
      return false; // nothing below the document to visit for this rule
    },
  });
}
