import fastJson from 'fast-json-stringify';
import { serializerCompiler as zodSerializer } from 'fastify-type-provider-zod';
import { toJSONSchema, type ZodType } from 'zod';

type SerializerCompiler = Parameters<typeof zodSerializer>[0];

/**
 * Replies serialised by a function compiled from each response schema (fast-json-stringify)
 * instead of re-validating every reply with zod and then JSON.stringify: the handler builds
 * the reply from typed views, so the second check cost CPU and caught nothing a test would not.
 * Like zod's output, only declared properties are written, in the schema's order. A schema
 * JSON Schema cannot express keeps the zod serializer.
 */
export function serializerCompiler(route: SerializerCompiler) {
  // Compiled on first use: most of ~150 routes × their problem statuses never answer in a
  // process's life, and compiling them all cost start-up time and memory.
  let compiled: ((data: unknown) => string) | undefined;
  return (data: unknown) => {
    compiled ??= compile(route);
    return compiled(data);
  };
}

function compile(route: SerializerCompiler): (data: unknown) => string {
  const schema = route.schema as ZodType | { properties?: unknown };
  const zod = (schema as { properties?: unknown }).properties ?? schema;
  let json: object;
  try {
    json = toJSONSchema(zod as ZodType, { io: 'output', target: 'draft-7', reused: 'inline' });
  } catch {
    return zodSerializer(route);
  }
  return fastJson(inOrder(json) as Parameters<typeof fastJson>[0]);
}

/**
 * fast-json-stringify writes required properties before optional ones; without `required` it
 * keeps the schema's order, as zod did. Objects inside anyOf/oneOf keep theirs: they choose
 * the branch.
 */
function inOrder(node: unknown, inBranch = false): unknown {
  if (Array.isArray(node)) return node.map((item) => inOrder(item, inBranch));
  if (typeof node !== 'object' || node === null) return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'required' && !inBranch) continue;
    out[key] = inOrder(value, inBranch || key === 'anyOf' || key === 'oneOf');
  }
  return out;
}
