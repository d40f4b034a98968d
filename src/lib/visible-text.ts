/**
 * Characters that make one text display as another: controls, format characters (bidi
 * overrides such as U+202E, zero-width U+200B, soft hyphen, tags), line and paragraph
 * separators (U+2028), non-ASCII spaces, private-use and unassigned code points, and every
 * default-ignorable character (word joiner U+2060, Hangul fillers U+115F, U+3164 and the like).
 * Letters and marks of every script are untouched.
 */
export const INVISIBLE =
  /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\u00A0\u1680\u2000-\u200A\u202F\u205F\u3000\p{Co}\p{Cn}\p{Default_Ignorable_Code_Point}\u3164\uFFA0\u115F\u1160]/u;

/** The zero-width joiner and the emoji/text variation selectors that emoji sequences are made of. */
const EMOJI_JOINERS = /[\u200D\uFE0E\uFE0F]/gu;

/**
 * True when a person's name holds anything INVISIBLE, except what builds an emoji (a name may be
 * "Ana 👩‍💻"). Such a name could read as someone else's in an admin's list.
 */
export function nameHidesCharacters(name: string): boolean {
  return INVISIBLE.test(name.replace(EMOJI_JOINERS, ''));
}
