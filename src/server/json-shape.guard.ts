/**
 * Refuses GraphQL variables (and request extensions) nested too deep or holding too many values,
 * before Apollo coerces them. Coercion recurses per nesting level, so 20,000 nested filters used to
 * overflow the stack; a huge flat list costs memory and time in every later step. The walk here is
 * iterative (an explicit stack), so no input can overflow it, and it stops at the first limit hit.
 * Pure: the HTTP front calls it on parsed JSON and answers a coded error with the message.
 */
export interface JsonShapeLimits {
  /** Deepest nesting of objects and arrays (the top-level object is depth 1). */
  maxDepth: number;
  /** Most values in all (objects, arrays, strings, numbers, booleans and nulls each count one). */
  maxValues: number;
}

export interface JsonShapeProblem {
  limit: 'depth' | 'values';
  maximum: number;
  message: string;
}

/** The first limit `value` breaks, or null; `what` names the value in the message (e.g. "variables"). */
export function checkJsonShape(value: unknown, limits: JsonShapeLimits, what = 'variables'): JsonShapeProblem | null {
  const tooMany = (): JsonShapeProblem => ({
    limit: 'values',
    maximum: limits.maxValues,
    message: `${what} hold more than ${limits.maxValues} values: send fewer items per request (split the request)`,
  });
  // Values are counted as they are discovered (before any is pushed), so a huge array is refused
  // without first copying it onto the stack.
  let values = 1;
  if (values > limits.maxValues) return tooMany();
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const { value: v, depth } = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    const d = depth + 1;
    if (d > limits.maxDepth) {
      return {
        limit: 'depth',
        maximum: limits.maxDepth,
        message: `${what} nest deeper than ${limits.maxDepth} levels: flatten the input (e.g. combine filters in one "and" list instead of nesting them)`,
      };
    }
    const children = Array.isArray(v) ? v : Object.values(v as Record<string, unknown>);
    values += children.length;
    if (values > limits.maxValues) return tooMany();
    for (const child of children) if (child !== null && typeof child === 'object') stack.push({ value: child, depth: d });
  }
  return null;
}
