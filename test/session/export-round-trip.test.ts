import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ActiveTestingSession, type CreateSessionOptions } from '../../src/session/session.js';
import { exportSessionLabels } from '../../src/session/export-labels.js';
import { syntheticPool } from '../../src/simulate/syntheticPool.js';
import { CLI } from './cli-pool.js';

const run = (args: string[]) => spawnSync(process.execPath, [...CLI, ...args], { encoding: 'utf8' });

/** Ids and class names as a spreadsheet or a hand-made pool may hold them: quotes, formula signs, spaces, unicode. */
const IDS = ['"q""u"', '"a"', '=1+2', '+x', '-y', '@z', 'ünï😀', ' sp ', "'apos", 'plain', 'x"y', '"'];
const CLASSES = [' a', 'a', '"c""d"', '=SUM(A1)'];

describe('label --export-labels, then --answers into a fresh session over the same pool', () => {
  it('records the same labels and skips and gives the same estimate, bit for bit', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'at-round-trip-'));
    const pool = syntheticPool({ poolSize: IDS.length, classCount: CLASSES.length, seed: 4 });
    const options: CreateSessionOptions = {
      texts: IDS.map((_, i) => (i === 0 ? 'a text with "quotes",\ta tab\nand a line break' : `text ${i} ✓`)),
      ids: IDS,
      classes: CLASSES,
      modelScores: pool.modelScores,
      surrogateScores: pool.surrogateScores,
      seed: 2,
    };
    const original = await ActiveTestingSession.create(join(dir, 'original.session'), options);
    for (let step = 0; ; step++) {
      const [item] = await original.next();
      if (item === undefined) break;
      if (step % 4 === 1) await original.skip(item.id, { annotator: 'bo' });
      else await original.record(item.id, pool.labels[item.index]!, { annotator: 'al' });
      if (step === 2) await original.undo();
    }
    const expected = original.estimate();
    await original.close();

    const labels = join(dir, 'labels.tsv');
    const exported = run(['label', '--session', join(dir, 'original.session'), '--export-labels', labels]);
    expect(exported.stderr).toBe('');
    expect(exported.status).toBe(0);
    const rows = readFileSync(labels, 'utf8').split('\n');
    // A field that begins with a quote is quoted, its quotes doubled; formula signs are kept as data.
    expect(rows.some((row) => row.startsWith('"""q""""u"""\t'))).toBe(true);
    expect(rows.filter((row) => row.startsWith('=1+2\t') || row.startsWith('+x\t') || row.startsWith('@z\t'))).toHaveLength(3);

    await (await ActiveTestingSession.create(join(dir, 'fresh.session'), options)).close();
    const answered = run(['label', '--session', join(dir, 'fresh.session'), '--answers', labels]);
    expect(answered.stderr).toBe('');
    expect(answered.status).toBe(0);
    expect(answered.stdout).toContain('labelled "q""u"');

    const recorded = exportSessionLabels(join(dir, 'original.session')).labels;
    expect(recorded.filter((entry) => entry.label === ' a').length).toBeGreaterThan(0);
    expect(exportSessionLabels(join(dir, 'fresh.session')).labels).toEqual(recorded);
    const fresh = await ActiveTestingSession.open(join(dir, 'fresh.session'));
    const actual = fresh.estimate();
    await fresh.close();
    expect([actual.labels, actual.skipped]).toEqual([expected.labels, expected.skipped]);
    expect(actual.labels).toBe(9);
    expect(Object.is(actual.risk.value, expected.risk.value)).toBe(true);
    expect(Object.is(actual.accuracy.value, expected.accuracy.value)).toBe(true);
  });
});
