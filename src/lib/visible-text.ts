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
 * Whole emoji sequences, the only place outside the scripts below a name may hold joiners,
 * variation selectors and tags: the three subdivision flags emoji fonts draw (England, Scotland,
 * Wales: U+1F3F4, tag letters, cancel tag; any other tag run would be hidden ASCII), a keycap (`1️⃣`), and assigned pictographs with an optional presentation selector
 * or skin tone, joined by U+200D (`👩‍💻`, `❤️`). A joiner or selector anywhere else (between Latin
 * letters, after a letter) is hidden text.
 */
const EMOJI_SEQUENCE =
  /\u{1F3F4}\u{E0067}\u{E0062}(?:\u{E0065}\u{E006E}\u{E0067}|\u{E0073}\u{E0063}\u{E0074}|\u{E0077}\u{E006C}\u{E0073})\u{E007F}|[#*0-9]\uFE0F?\u20E3|(?!\p{Cn})\p{Extended_Pictographic}[\uFE0E\uFE0F\p{Emoji_Modifier}]?(?:\u200D(?!\p{Cn})\p{Extended_Pictographic}[\uFE0E\uFE0F\p{Emoji_Modifier}]?)*/gu;

/**
 * The scripts whose words need U+200C/U+200D between their letters (Persian `محمد‌رضا`, Sinhala
 * `ශ්‍රී`, the Indic conjuncts): there a joiner between two letters or marks of the word is
 * spelling, not hiding. Latin, Greek and Cyrillic, where look-alike names are made, are not here.
 */
const JOINING_SCRIPT =
  '\\p{scx=Arabic}\\p{scx=Syriac}\\p{scx=Nko}\\p{scx=Mongolian}\\p{scx=Devanagari}\\p{scx=Bengali}\\p{scx=Gurmukhi}\\p{scx=Gujarati}\\p{scx=Oriya}\\p{scx=Tamil}\\p{scx=Telugu}\\p{scx=Kannada}\\p{scx=Malayalam}\\p{scx=Sinhala}\\p{scx=Tibetan}\\p{scx=Myanmar}\\p{scx=Khmer}';
const JOINER_IN_WORD = new RegExp(`(?<=[${JOINING_SCRIPT}])[\\u200C\\u200D](?=[${JOINING_SCRIPT}])`, 'gu');

/** More combining marks on one letter than any script writes: text stacked over its neighbours. */
const STACKED_MARKS = /\p{M}{5,}/u;

/**
 * True when a person's name holds anything INVISIBLE outside a whole emoji sequence or a word of
 * a joining script (a name may be "Ana 👩‍💻" or "محمد‌رضا"), stacks marks, or is not well-formed
 * Unicode (a lone surrogate). Such a name could read as someone else's in an admin's list.
 */
export function nameHidesCharacters(name: string): boolean {
  // Marks counted fully decomposed: `ä` or `ǅ` with four more marks is five stacked, as `a` with five.
  if (!name.isWellFormed() || STACKED_MARKS.test(name.normalize('NFKD'))) return true;
  return INVISIBLE.test(name.replace(EMOJI_SEQUENCE, 'x').replace(JOINER_IN_WORD, ''));
}
