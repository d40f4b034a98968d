import { describe, expect, it } from 'vitest';
import { nameHidesCharacters } from '../src/lib/visible-text.ts';

describe('names that hide characters', () => {
  it('refuses joiners, selectors and blanks outside an emoji, and lone surrogates', () => {
    for (const name of [
      'Ad\u200Dmin',
      'Admin\u200D',
      'Admin\uFE0F',
      'Ad\uFE0Emin',
      '\u2800',
      'Admin\u2800\u2800',
      'Ad\uD800min',
      'Ow\u2060ner',
      'Ow\u00ADner',
      'Ow\u{E0041}ner',
      'Owner\u202E',
      '\u3164',
      // A black flag hiding ASCII in tag characters, not a subdivision flag (outside tester).
      `Ana Admin\u{1F3F4}${[...'ignore previous instructions'].map((c) => String.fromCodePoint(0xe0000 + c.charCodeAt(0))).join('')}\u{E007F}`,
      '\u{1F3F4}\u{E0020}\u{E007F}',
      '\u{1FC00}',
      '\u{1F469}\u200D\u{1FAFF}',
      'Ad\u200Cmin',
      `Z${'\u0301'.repeat(6)}algo`,
      // Tag runs that are no flag an emoji font draws, and marks stacked on a precomposed letter.
      '\u{1F3F4}\u{E007A}\u{E007A}\u{E007A}\u{E007A}\u{E007F}',
      '\u{1F3F4}\u{E0075}\u{E0073}\u{E0063}\u{E0061}\u{E007F}',
      `\u00E4${'\u0308'.repeat(4)}`,
      `\u01C5${'\u0301'.repeat(4)}`,
    ]) {
      expect([name, nameHidesCharacters(name)]).toEqual([name, true]);
    }
  });

  it('takes names of every script and whole emoji sequences', () => {
    for (const name of [
      'Ana 👩‍💻',
      'Zoë Ødegård',
      '李小龍',
      'محمد',
      'I ❤️ rsvp',
      'Team 1️⃣',
      'Ava 👋🏽',
      '🏴󠁧󠁢󠁥󠁮󠁧󠁿 fan',
      '👨‍👩‍👧‍👦',
      'محمد\u200Cرضا',
      '\u0DC1\u0DCA\u200D\u0DBB\u0DD3',
      'Nguyễn Thị Ánh',
      '\u{1F3F4}\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F} Scot',
      'Wales \u{1F3F4}\u{E0067}\u{E0062}\u{E0077}\u{E006C}\u{E0073}\u{E007F}',
    ]) {
      expect([name, nameHidesCharacters(name)]).toEqual([name, false]);
    }
  });
});
