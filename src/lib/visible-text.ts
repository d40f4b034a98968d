/**
 * Characters that make one text display as another: controls, format characters (bidi
 * overrides such as U+202E, zero-width U+200B, soft hyphen, tags), line and paragraph
 * separators (U+2028), non-ASCII spaces, private-use and unassigned code points, and every
 * default-ignorable character (word joiner U+2060, Hangul fillers U+115F, U+3164 and the like),
 * and the blank Braille pattern U+2800. Letters and marks of every script are untouched.
 */
export const INVISIBLE =
  /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\u00A0\u1680\u2000-\u200A\u202F\u205F\u3000\p{Co}\p{Cn}\p{Default_Ignorable_Code_Point}\u3164\uFFA0\u115F\u1160\u2800]/u;

/**
 * Whole emoji sequences, the only place a name may hold joiners, variation selectors and tags:
 * a subdivision flag (U+1F3F4, tag letters, cancel tag), a keycap (`1️⃣`), and pictographs with an
 * optional presentation selector or skin tone, joined by U+200D (`👩‍💻`, `❤️`). A joiner or
 * selector anywhere else (between letters, after a letter) is hidden text.
 */
const EMOJI_SEQUENCE =
  /\u{1F3F4}[\u{E0020}-\u{E007E}]+\u{E007F}|[#*0-9]\uFE0F?\u20E3|\p{Extended_Pictographic}[\uFE0E\uFE0F\p{Emoji_Modifier}]?(?:\u200D\p{Extended_Pictographic}[\uFE0E\uFE0F\p{Emoji_Modifier}]?)*/gu;

/**
 * True when a person's name holds anything INVISIBLE outside a whole emoji sequence (a name may
 * be "Ana 👩‍💻"), or is not well-formed Unicode (a lone surrogate). Such a name could read as
 * someone else's in an admin's list.
 */
export function nameHidesCharacters(name: string): boolean {
  return !name.isWellFormed() || INVISIBLE.test(name.replace(EMOJI_SEQUENCE, 'x'));
}
