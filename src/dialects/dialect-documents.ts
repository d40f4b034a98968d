import type { JsonSchema } from '../openapi/dialect-transform.ts';

/**
 * What the dialect listeners' OpenAPI documents share (each dialect's own is in its folder,
 * `<dialect>.document.ts`): credentials, and small JSON Schema builders for the bodies they
 * describe. The bodies are documentation only: no route serializes or checks its reply with them.
 */

export const basic = {
  type: 'http',
  scheme: 'basic',
  description: 'An rsvp API key’s id and secret, or email and password.',
};
export const bearer = {
  type: 'http',
  scheme: 'bearer',
  description: 'An rsvp API key (`rsvp_sk_…`) or access token.',
};
export const stringField = { type: 'string' };
export const dateTime = { type: 'string', format: 'date-time' };
export const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
export const nullable = (schema: JsonSchema) =>
  '$ref' in schema ? { oneOf: [schema, { type: 'null' }] } : { ...schema, type: [schema.type, 'null'] };
export const arrayOf = (items: JsonSchema) => ({ type: 'array', items });
export const enumOf = (values: readonly string[]) => ({ type: 'string', enum: [...values] });

/** An object whose listed properties are all required (the views always send every key). */
export function object(
  properties: Record<string, JsonSchema>,
  optional: string[] = [],
  description?: string,
) {
  return {
    type: 'object',
    ...(description ? { description } : {}),
    required: Object.keys(properties).filter((name) => !optional.includes(name)),
    properties,
  };
}
