import type { SwaggerTransformObject } from '@fastify/swagger';
import { jsonSchemaTransformObject } from 'fastify-type-provider-zod';

/**
 * What the document says about one operation of a dialect listener, which its route cannot say
 * itself: the routes answer in the foreign API's shapes without `schema.response` (so that Fastify
 * never re-serializes, strips or checks a reply), and some parse their body by hand.
 */
export interface DocumentedOperation {
  operationId: string;
  summary: string;
  description: string;
  tag: string;
  /** Descriptions of the path and query parameters, by name. */
  parameters?: Record<string, string>;
  /**
   * The body's example, and its schema for routes that parse the body themselves (otherwise the
   * route's zod schema); `mediaTypes` defaults to JSON.
   */
  requestBody?: { schema?: JsonSchema; example: unknown; mediaTypes?: string[] };
  /** Every success (and non-error-format) status, with its body when it has one. */
  responses: Record<string, DocumentedResponse>;
}
export interface DocumentedResponse {
  description: string;
  schema?: JsonSchema;
  example?: unknown;
  headers?: Record<string, { description: string; schema: JsonSchema }>;
}
export type JsonSchema = Record<string, unknown>;

export interface DialectOperations {
  /** Media type of the listener's success bodies. */
  mediaType: string;
  tags: { name: string; description: string }[];
  /** Response and request schemas the operations reference as `#/components/schemas/<name>`. */
  schemas: Record<string, JsonSchema>;
  /** By `METHOD /path/{param}`, as the route is registered. */
  operations: Record<string, DocumentedOperation>;
  error: { mediaType: string; schema: JsonSchema; example: unknown };
}

type Json = Record<string, unknown>;
type Operation = Json & { parameters?: Json[]; responses?: Json; requestBody?: Json };
type Paths = Record<string, Record<string, Operation>>;

const errorResponse = (error: DialectOperations['error'], description: string) => ({
  description,
  content: { [error.mediaType]: { schema: { $ref: '#/components/schemas/Error' }, example: error.example } },
});

function responsesOf(documented: DocumentedOperation, spec: DialectOperations) {
  const responses: Json = {};
  for (const [status, response] of Object.entries(documented.responses)) {
    responses[status] = {
      description: response.description,
      ...(response.headers ? { headers: response.headers } : {}),
      ...(response.schema
        ? { content: { [spec.mediaType]: { schema: response.schema, example: response.example } } }
        : {}),
    };
  }
  responses['4XX'] = errorResponse(
    spec.error,
    'Refused: invalid input, missing credentials, no permission or not found, in this API’s error format.',
  );
  responses.default = errorResponse(spec.error, 'Any other error, in this API’s error format.');
  return responses;
}

function requestBodyOf(operation: Operation, documented: DocumentedOperation) {
  const body = documented.requestBody;
  const examples = operation['x-request-examples'] as unknown[] | undefined;
  delete operation['x-request-examples'];
  const generated = (operation.requestBody?.content as Record<string, Json> | undefined)?.['application/json']
    ?.schema;
  const schema = body?.schema ?? generated;
  if (!schema) return undefined;
  const example = body?.example ?? examples?.[0];
  const types = body?.mediaTypes ?? ['application/json'];
  return {
    required: operation.requestBody?.required ?? true,
    content: Object.fromEntries(
      types.map((type) => [type, { schema, ...(example !== undefined ? { example } : {}) }]),
    ),
  };
}

function describe(key: string, operation: Operation, spec: DialectOperations) {
  const documented = spec.operations[key];
  if (!documented) throw new Error(`${key} is not described in the dialect's OpenAPI operations`);
  if (operation['x-required-scope'] === 'public') delete operation['x-required-scope'];
  operation.operationId = documented.operationId;
  operation.summary = documented.summary;
  operation.description = documented.description;
  operation.tags = [documented.tag];
  for (const parameter of operation.parameters ?? []) {
    const text = documented.parameters?.[parameter.name as string];
    if (text) parameter.description = text;
  }
  const requestBody = requestBodyOf(operation, documented);
  if (requestBody) operation.requestBody = requestBody;
  operation.responses = responsesOf(documented, spec);
}

/**
 * OpenAPI has one path item per path shape: routes whose paths differ only in their parameters'
 * names (TileDB's POST `share_payment/{workspace}/{teamspace}` and DELETE
 * `share_payment/{namespace}/{target}`) share one path whose parameters are named
 * `a_or_b`. Only the document changes: the wire path is the same.
 */
function mergeIdenticalPaths(paths: Paths): Paths {
  const shapes = new Map<string, string[]>();
  for (const path of Object.keys(paths)) {
    const shape = path.replace(/\{[^}]+\}/g, '{}');
    shapes.set(shape, [...(shapes.get(shape) ?? []), path]);
  }
  const merged: Paths = {};
  for (const [shape, group] of shapes) {
    if (group.length === 1) {
      merged[group[0]!] = paths[group[0]!]!;
      continue;
    }
    const namesOf = (path: string) => [...path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]!);
    const names = namesOf(group[0]!).map((_, i) =>
      [...new Set(group.map((path) => namesOf(path)[i]!))].join('_or_'),
    );
    let index = 0;
    const target = shape.replace(/\{\}/g, () => `{${names[index++]}}`);
    merged[target] = {};
    for (const path of group) {
      const renames = new Map(namesOf(path).map((name, i) => [name, names[i]!]));
      for (const [method, operation] of Object.entries(paths[path]!)) {
        for (const parameter of operation.parameters ?? []) {
          if (parameter.in === 'path') parameter.name = renames.get(parameter.name as string);
        }
        merged[target][method] = operation;
      }
    }
  }
  return merged;
}

/** Component schemas reachable from the paths (and from each other); the rest are dropped. */
function pruneSchemas(document: Json) {
  const components = document.components as { schemas?: Record<string, unknown> } | undefined;
  const schemas = components?.schemas ?? {};
  const used = new Set<string>();
  const visit = (value: unknown) => {
    const text = JSON.stringify(value) ?? '';
    for (const match of text.matchAll(/"#\/components\/schemas\/([^"]+)"/g)) {
      const name = decodeURIComponent(match[1]!);
      if (used.has(name)) continue;
      used.add(name);
      visit(schemas[name]);
    }
  };
  visit(document.paths);
  for (const name of Object.keys(schemas)) if (!used.has(name)) delete schemas[name];
}

/** The dialect's document: the routes' generated operations, described, and only their schemas. */
export function dialectTransform(spec: DialectOperations): SwaggerTransformObject {
  return (input) => {
    const document = jsonSchemaTransformObject(input) as Json & { paths?: Paths };
    for (const [path, item] of Object.entries(document.paths ?? {})) {
      for (const [method, operation] of Object.entries(item))
        describe(`${method.toUpperCase()} ${path}`, operation, spec);
    }
    document.paths = mergeIdenticalPaths(document.paths ?? {});
    document.tags = spec.tags;
    const components = (document.components ?? {}) as Json;
    document.components = {
      ...components,
      schemas: { ...(components.schemas as object), ...spec.schemas, Error: spec.error.schema },
    };
    pruneSchemas(document);
    return document as ReturnType<SwaggerTransformObject>;
  };
}
