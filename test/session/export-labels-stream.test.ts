import * as fs from 'node:fs';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { exportSessionLabels, exportSessionLabelsInChunks } from '../../src/session/export-labels.js';
import { ActiveTestingSession } from '../../src/session/session.js';
import { syntheticPool } from '../../src/simulate/syntheticPool.js';

/** Paths read whole by `readFileSync` (the module's own calls included). */
const readWhole: string[] = [];
vi.mock('node:fs', async (original) => {
  const actual = await original<typeof import('node:fs')>();
  const readFileSync = ((path: fs.PathOrFileDescriptor, ...rest: unknown[]) => {
    readWhole.push(String(path));
    return (actual.readFileSync as (...args: unknown[]) => unknown)(path, ...rest);
  }) as typeof actual.readFileSync;
  return { ...actual, default: { ...actual, readFileSync }, readFileSync };
});

const N = 40;
const pool = syntheticPool({ poolSize: N, classCount: 3, seed: 8 });
const ids = Array.from({ length: N }, (_, i) => `id${i}`);
const classes = ['a', 'b', 'c'];

/** A closed session file with labels, a skip and an undo; its lines and the labels it holds. */
async function sessionFile(): Promise<{ path: string; lines: string[]; expected: [string, string | null][] }> {
  const path = join(mkdtempSync(join(tmpdir(), 'at-export-stream-')), 'pool.session');
  const session = await ActiveTestingSession.create(path, {
    texts: ids.map((id) => `text of ${id}`),
    ids,
    classes,
    modelScores: pool.modelScores,
    surrogateScores: pool.surrogateScores,
    seed: 2,
  });
  for (let m = 0; m < 9; m++) {
    const [item] = await session.next();
    if (m === 4) await session.skip(item.id);
    else await session.record(item.id, pool.labels[item.index]);
    if (m === 6) await session.undo();
  }
  const expected = session.history().map((h): [string, string | null] => [h.id, h.label ?? null]);
  await session.close();
  return { path, lines: readFileSync(path, 'utf8').trimEnd().split('\n'), expected };
}

const CHUNKS = [1, 2, 5, 11, 64, 1000, 1 << 22];

describe('exportSessionLabels on a large header', () => {
  it('streams the file, never reading it whole, and gives the same labels at any chunk size', async () => {
    const { path, expected } = await sessionFile();
    expect(expected).toHaveLength(8);
    expect(expected.filter(([, label]) => label === null)).toHaveLength(1);
    readWhole.length = 0;
    const exported = exportSessionLabels(path);
    expect(readWhole.filter((p) => p === path)).toEqual([]);
    expect(exported.headerReadable).toBe(true);
    expect(exported.unreadableLines).toEqual([]);
    expect(exported.labels.map((l) => [l.id, l.label])).toEqual(expected);
    for (const chunk of CHUNKS) expect(exportSessionLabelsInChunks(path, chunk), `chunk ${chunk}`).toEqual(exported);
  });

  it('reads a header whose score text holds escaped quotes and backslashes as the whole line parses', async () => {
    const { path, lines, expected } = await sessionFile();
    // A hand-edited text: still a JSON string, so the header parses and its ids and classes count.
    const edited = lines[0].replace('"float64":"', '"float64":"AB\\\\\\"CD\\\\');
    expect(JSON.parse(edited).targetScores.float64.startsWith('AB\\"CD\\')).toBe(true);
    writeFileSync(path, [edited, ...lines.slice(1)].join('\n') + '\n');
    for (const chunk of CHUNKS) {
      const exported = exportSessionLabelsInChunks(path, chunk);
      expect(exported.headerReadable, `chunk ${chunk}`).toBe(true);
      expect(exported.labels.map((l) => [l.id, l.label])).toEqual(expected);
    }
  });

  it('splits a header at a newline inside a score text, escaped or not, as the lines of the file are split', async () => {
    const { path, lines, expected } = await sessionFile();
    const rows = expected.map(([id]) => ids.indexOf(id));
    for (const cut of ['"float64":"AB\nCD', '"float64":"AB\\\nCD']) {
      writeFileSync(path, [lines[0].replace('"float64":"', cut), ...lines.slice(1)].join('\n') + '\n');
      for (const chunk of CHUNKS) {
        const exported = exportSessionLabelsInChunks(path, chunk);
        // Lines 1 and 2 (the header's two halves) cannot be read; without the header, ids are row numbers.
        expect(exported.headerReadable, `chunk ${chunk}`).toBe(false);
        expect(exported.unreadableLines).toEqual([1, 2]);
        expect(exported.labels.map((l) => l.id)).toEqual(rows.map(String));
      }
    }
  });
});
