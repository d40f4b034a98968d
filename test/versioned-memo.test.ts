import { describe, expect, it } from 'vitest';
import { VersionedMemo } from '../src/lib/versioned-memo.ts';

describe('VersionedMemo', () => {
  it('serves a value only at the version it was read at, and never lets an older read replace a newer one', () => {
    const memo = new VersionedMemo<string>(2);
    memo.at(3).set('a', 'read at 3');
    expect(memo.at(3).get('a')).toBe('read at 3');
    expect(memo.at(4).get('a')).toBeUndefined();
    memo.at(4).set('a', 'read at 4');
    expect(memo.at(4).get('a')).toBe('read at 4');
    // A request that read version 3 before the change finishes late: its value is dropped.
    memo.at(3).set('a', 'late read at 3');
    expect(memo.at(4).get('a')).toBe('read at 4');
    expect(memo.at(3).get('a')).toBeUndefined();
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
