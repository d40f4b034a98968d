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
    ]) {
      expect([name, nameHidesCharacters(name)]).toEqual([name, false]);
    }
  });
});
