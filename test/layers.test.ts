import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

// The folders under src/ form layers (docs/architecture.md): no two import each other, type-only
// imports included. A file directly under src/ counts as a folder of its own.

const ROOT = path.resolve(import.meta.dirname, '../src');
const MAX_LINES = 450;

/**
 * Two-way pairs that remain from before the layering, each to be cut (docs/architecture.md,
 * "Known loops"). The list may only shrink: a new pair fails, and so does a listed pair that is
 * gone, so that it is taken off.
 */
const KNOWN_LOOPS = new Set([
  'auth <-> events',
  'auth <-> http',
  'auth <-> organizations',
  'auth <-> services',
  'auth <-> users',
  'events <-> memberships',
  'events <-> organizations',
  'events <-> services',
  'events <-> webhooks',
  'http <-> invitations',
  'http <-> services',
  'invitations <-> resources',
  'memberships <-> organizations',
  'memberships <-> services',
  'organizations <-> services',
  'resources <-> services',
  'services <-> users',
  'services <-> webhooks',
]);

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

function folderOf(file: string): string {
  const parts = path.relative(ROOT, file).split(path.sep);
  return parts.length > 1 ? parts[0]! : parts[0]!.replace(/\.ts$/, '');
}

/** Folder-to-folder imports, with one file pair each as the example to show. */
function folderEdges(): Map<string, string> {
  const edges = new Map<string, string>();
  for (const file of sourceFiles(ROOT)) {
    const text = fs.readFileSync(file, 'utf8');
    for (const match of text.matchAll(/(?:\bfrom|\bimport)\s*\(?\s*['"]([^'"]+)['"]/g)) {
      const spec = match[1]!;
      let target: string;
      if (spec.startsWith('#src/')) target = path.join(ROOT, spec.slice(5));
      else if (spec.startsWith('.')) target = path.resolve(path.dirname(file), spec);
      else continue;
      if (!target.startsWith(ROOT + path.sep)) continue;
      const from = folderOf(file);
      const to = folderOf(target);
      if (from === to) continue;
      const key = `${from} -> ${to}`;
      if (!edges.has(key)) edges.set(key, `${path.relative(ROOT, file)} -> ${path.relative(ROOT, target)}`);
    }
  }
  return edges;
}

describe('source layout', () => {
  it('has no two folders under src/ importing each other beyond the known loops', () => {
    const edges = folderEdges();
    const pairs = new Map<string, string>();
    for (const [key, example] of edges) {
      const [a, b] = key.split(' -> ') as [string, string];
      const back = edges.get(`${b} -> ${a}`);
      if (a < b && back) pairs.set(`${a} <-> ${b}`, `${example}; ${back}`);
    }
    const fresh = [...pairs]
      .filter(([pair]) => !KNOWN_LOOPS.has(pair))
      .map(([pair, why]) => `${pair}: ${why}`);
    expect(fresh, 'new two-way folder imports').toEqual([]);
    const cut = [...KNOWN_LOOPS].filter((pair) => !pairs.has(pair));
    expect(cut, 'loops that are gone: take them off KNOWN_LOOPS').toEqual([]);
  });

  it(`has no source file over ${MAX_LINES} lines`, () => {
    const long = sourceFiles(ROOT)
      .map((file) => ({
        file: path.relative(ROOT, file),
        lines: fs.readFileSync(file, 'utf8').split('\n').length,
      }))
      .filter(({ lines }) => lines > MAX_LINES);
    expect(long).toEqual([]);
  });
});
