import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

// The folders under src/ form layers (docs/architecture.md): their imports, type-only ones
// included, never lead back to where they started. A file directly under src/ counts as a folder
// of its own.

const ROOT = path.resolve(import.meta.dirname, '../src');
const MAX_LINES = 400;

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

/** A cycle of folders reachable through imports, as example file pairs; none when the graph is layered. */
function findCycle(edges: Map<string, string>): string[] {
  const next = new Map<string, string[]>();
  for (const key of edges.keys()) {
    const [from, to] = key.split(' -> ') as [string, string];
    next.set(from, [...(next.get(from) ?? []), to]);
  }
  const done = new Set<string>();
  const onPath: string[] = [];
  const visit = (folder: string): string[] => {
    const at = onPath.indexOf(folder);
    if (at >= 0) {
      const loop = [...onPath.slice(at), folder];
      return loop.slice(1).map((to, i) => `${loop[i]} -> ${to} (${edges.get(`${loop[i]} -> ${to}`)})`);
    }
    if (done.has(folder)) return [];
    onPath.push(folder);
    for (const to of next.get(folder) ?? []) {
      const cycle = visit(to);
      if (cycle.length > 0) return cycle;
    }
    onPath.pop();
    done.add(folder);
    return [];
  };
  for (const folder of next.keys()) {
    const cycle = visit(folder);
    if (cycle.length > 0) return cycle;
  }
  return [];
}

describe('source layout', () => {
  it('has folders under src/ that form layers: no import path leads back to its folder', () => {
    expect(findCycle(folderEdges()), 'an import cycle between folders').toEqual([]);
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
