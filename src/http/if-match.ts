/**
 * The entity tags of an If-Match header that can match, compared strongly as RFC 9110 has it:
 * weak tags (`W/"3"`) are left out. Undefined for no header or `*` (any version matches).
 */
export function strongIfMatchTags(header: string | undefined): string[] | undefined {
  const value = header?.trim();
  if (value === undefined || value === '*') return undefined;
  return value
    .split(',')
    .map((tag) => tag.trim())
    .filter((tag) => !tag.startsWith('W/'));
}
