import { describe, expect, it } from 'vitest';
import { VersionedMemo } from '../src/lib/versioned-memo.ts';

describe('VersionedMemo', () => {
  it('serves a value only at the version it was read at; a read at any other version starts afresh', () => {
    const memo = new VersionedMemo<string>(2);
    memo.at(3).set('a', 'read at 3');
    expect(memo.at(3).get('a')).toBe('read at 3');
    expect(memo.at(4).get('a')).toBeUndefined();
    memo.at(4).set('a', 'read at 4');
    memo.at(4).set('b', 'read at 4');
    expect(memo.at(4).get('a')).toBe('read at 4');
    // A request that read version 3 before the change finishes late: nothing of 4 survives it,
    // and what it read is served only at 3.
    memo.at(3).set('a', 'late read at 3');
    expect(memo.at(4).get('a')).toBeUndefined();
    expect(memo.at(4).get('b')).toBeUndefined();
    // A counter set back (a restored backup) and moved again never meets the old values.
    memo.at(9).set('a', 'read at 9');
    memo.at(7).set('c', 'read at 7 after a restore');
    expect(memo.at(9).get('a')).toBeUndefined();
  });

  it('holds at most its size, the least recently used out', () => {
    const memo = new VersionedMemo<number>(2).at(1);
    memo.set('a', 1);
    memo.set('b', 2);
    expect(memo.get('a')).toBe(1);
    memo.set('c', 3);
    expect(memo.get('b')).toBeUndefined();
    expect([memo.get('a'), memo.get('c')]).toEqual([1, 3]);
  });
});
