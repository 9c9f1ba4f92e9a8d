import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  appendFileSync,
  copyFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileFormatError, InputError } from '../../src/errors.js';
import { exportSessionLabels, labelsTsv } from '../../src/session/export-labels.js';
import { headerLineLength, type StoredMatrix } from '../../src/session/header.js';
import { FileJournal } from '../../src/session/journal.js';
import { SessionFileError, SessionLockedError, SessionWriteError } from '../../src/session/errors.js';
import { ActiveTestingSession, type CreateSessionOptions } from '../../src/session/session.js';
import { syntheticPool } from '../../src/simulate/syntheticPool.js';
import { runCliCaptured } from '../helpers/cli.js';
import { CLASSES, CLI, createArgs, writePoolFiles } from './cli-pool.js';
import { checkedRecordLine } from '../../src/session/checksum.js';
import { signedRecordLine } from '../helpers/record-lines.js';

const N = 60;
const pool = syntheticPool({ poolSize: N, classCount: 3, seed: 5 });
const classes = ['a', 'b', 'c'];
const texts = Array.from({ length: N }, (_, i) => `item ${i}`);
const ids = texts.map((_, i) => `id${i}`);
const options: CreateSessionOptions = {
  texts,
  ids,
  classes,
  modelScores: pool.modelScores,
  surrogateScores: pool.surrogateScores,
  seed: 3,
};
const scratch = () => join(mkdtempSync(join(tmpdir(), 'at-session-faults-')), 'pool.session');
const truth = (id: string): number => pool.labels[ids.indexOf(id)];

async function drive(session: ActiveTestingSession, count: number): Promise<void> {
  for (let m = 0; m < count; m++) {
    const [item] = await session.next();
    await session.record(item.id, truth(item.id));
  }
}

/** A closed session file with `count` labels; returns its path and its lines. */
async function labelledFile(
  count: number,
): Promise<{ path: string; lines: string[]; history: ReturnType<ActiveTestingSession['history']> }> {
  const path = scratch();
  const session = await ActiveTestingSession.create(path, options);
  await drive(session, count);
  const history = session.history();
  await session.close();
  return { path, lines: readFileSync(path, 'utf8').trimEnd().split('\n'), history };
}

/** A stored matrix with the score at `position` replaced. */
function withScore(m: StoredMatrix, position: number, score: number): StoredMatrix {
  const bytes = Buffer.from(m.float64, 'base64');
  bytes.writeDoubleLE(score, position * 8);
  return { ...m, float64: bytes.toString('base64') };
}

/**
 * Rewrites the file's header with `edit` and the checksum of the edited header (the old one would
 * refuse any edit): what the header's own checks see.
 */
function rewriteHeader(path: string, lines: string[], edit: (header: Record<string, unknown>) => void): void {
  const header = JSON.parse(lines[0]) as Record<string, unknown>;
  delete header.checksum;
  edit(header);
  const json = JSON.stringify(header);
  const signed = `${json.slice(0, -1)},"checksum":"sha256:${createHash('sha256').update(json).digest('hex')}"}`;
  writeFileSync(path, [signed, ...lines.slice(1)].join('\n') + '\n');
}

/** Scores as format version 1 stores them: `data`, a JSON array. */
function asNumbers(m: StoredMatrix): { rows: number; cols: number; data: number[] } {
  return { rows: m.rows, cols: m.cols, data: Array.from(new Float64Array(Uint8Array.from(Buffer.from(m.float64, 'base64')).buffer)) };
}

/** Rewrites the file's header as format version 1 wrote it: scores as JSON arrays and no checksum. */
function rewriteAsFormatVersion1(path: string, lines: string[]): void {
  const header = JSON.parse(lines[0]) as Record<string, unknown>;
  delete header.checksum;
  header.formatVersion = 1;
  for (const name of ['targetScores', 'comparisonScores', 'surrogateScores'])
    if (header[name] !== null) header[name] = asNumbers(header[name] as StoredMatrix);
  writeFileSync(path, [JSON.stringify(header), ...lines.slice(1)].join('\n') + '\n');
}

describe('session headers are checked before anything is written', () => {
  it.each([
    ['seed NaN', { seed: NaN }, 'seed'],
    ['seed Infinity', { seed: Infinity }, 'seed'],
    ['seed -Infinity', { seed: -Infinity }, 'seed'],
    ['clip as a string', { clip: '0.2' as unknown as number }, 'clip'],
    ['temperature NaN', { temperature: NaN }, 'temperature'],
    ['defensive NaN', { defensive: NaN, acquisition: 'surrogate-ce' as const }, 'defensive'],
    ['duplicate ids', { ids: ids.map((id, i) => (i === 7 ? ids[3] : id)) }, 'ids'],
  ])('refuses %s with an InputError and writes no file', async (_name, change, argument) => {
    const path = scratch();
    const error = await ActiveTestingSession.create(path, { ...options, ...change }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).argument).toBe(argument);
    expect(readdirSync(dirname(path))).toEqual([]);
  });

  it.each([
    ['a tab', 'id\t7'],
    ['a line feed', 'id\n7'],
    ['a carriage return', 'id 7\r'],
  ])('refuses an id with %s (it would split the exported labels TSV), naming its row, and writes no file', async (_name, id) => {
    const path = scratch();
    const error = await ActiveTestingSession.create(path, { ...options, ids: ids.map((x, i) => (i === 7 ? id : x)) }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InputError);
    expect(error).toMatchObject({ argument: 'ids', row: 7, received: id });
    expect((error as Error).message).toBe(
      `ids (row 7): expected ids without tabs or line breaks (one would split its line in the labels TSV that exportSessionLabels and --export-labels write), got ${JSON.stringify(id)}`,
    );
    expect(readdirSync(dirname(path))).toEqual([]);
    await expect(ActiveTestingSession.create(null, { ...options, ids: ids.map((x, i) => (i === 7 ? id : x)) })).rejects.toThrow(InputError);
  });

  it.each([
    ['a tab', 'neg\tative'],
    ['a line feed', 'neg\native'],
  ])('refuses a class name with %s (it would split the exported labels TSV), naming its row, and writes no file', async (_name, name) => {
    const path = scratch();
    const error = await ActiveTestingSession.create(path, { ...options, classes: ['a', name, 'c'] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect(error).toMatchObject({ argument: 'classes', row: 1, received: name });
    expect((error as Error).message).toBe(
      `classes (row 1): expected class names without tabs or line breaks (one would split its line in the labels TSV that exportSessionLabels and --export-labels write), got ${JSON.stringify(name)}`,
    );
    expect(readdirSync(dirname(path))).toEqual([]);
  });

  it.each(['skip', ' Skip'])(
    'refuses the class name %j, the word for a skipped item in exported labels, and writes no file',
    async (name) => {
      const path = scratch();
      const error = await ActiveTestingSession.create(path, { ...options, classes: ['a', 'b', name] }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InputError);
      expect((error as Error).message).toBe(
        `classes (row 2): expected class names other than "skip" (the word for a skipped item in exported labels and --answers files), got ${JSON.stringify(name)}`,
      );
      expect(readdirSync(dirname(path))).toEqual([]);
    },
  );

  it.each([
    ['a null seed (written by a version that let NaN through)', (h: Record<string, unknown>) => void (h.seed = null), /seed null/],
    ['a fractional seed', (h: Record<string, unknown>) => void (h.seed = 1.5), /seed 1\.5 is not an integer ≥ 0 or a non-empty string/],
    ['an empty seed', (h: Record<string, unknown>) => void (h.seed = ''), /seed "" is not an integer ≥ 0 or a non-empty string/],
    ['duplicate ids', (h: Record<string, unknown>) => void ((h.ids as string[])[5] = 'id2'), /ids has the duplicate "id2"/],
    ['an edited acquisition', (h: Record<string, unknown>) => void (h.acquisition = 'random'), /acquisition "random"/],
    ['a clip out of range', (h: Record<string, unknown>) => void (h.clip = 1.5), /clip/],
    ['a temperature of 0', (h: Record<string, unknown>) => void (h.temperature = 0), /temperature is not a finite number > 0 or null/],
    ['scores of the wrong shape', (h: Record<string, unknown>) => void ((h.targetScores as { rows: number }).rows = 3), /targetScores/],
    [
      'a non-finite stored score',
      (h: Record<string, unknown>) => void (h.surrogateScores = withScore(h.surrogateScores as StoredMatrix, 4, NaN)),
      /surrogateScores holds a non-finite score at position 4/,
    ],
    [
      'stored scores cut short',
      (h: Record<string, unknown>) => {
        const m = h.targetScores as StoredMatrix;
        h.targetScores = { ...m, float64: m.float64.slice(0, -8) };
      },
      /targetScores is not 60×3 scores/,
    ],
    [
      'a character outside base64 in the stored scores',
      (h: Record<string, unknown>) => {
        const m = h.targetScores as StoredMatrix;
        h.targetScores = { ...m, float64: `${m.float64.slice(0, 10)}!${m.float64.slice(11)}` };
      },
      /targetScores is not 60×3 scores/,
    ],
    [
      'an unknown loss',
      (h: Record<string, unknown>) => void (h.loss = 'hinge'),
      /damaged session header \(loss "hinge" is not cross-entropy, zero-one, brier or custom:<name>\)/,
    ],
    [
      'a defensive weight with the adaptive proposal',
      (h: Record<string, unknown>) => void (h.defensive = 0.5),
      /damaged session header \(its settings do not go together: defensive: expected no defensive weight with adaptive acquisition/,
    ],
    [
      'a calibration set with self-entropy',
      (h: Record<string, unknown>) => {
        h.acquisition = 'self-entropy';
        h.calibration = { rows: 10, temperature: 1.5, nll: 0.5 };
      },
      /damaged session header \(its settings do not go together: calibration: expected a surrogate acquisition/,
    ],
    [
      'a format version from the future',
      (h: Record<string, unknown>) => void (h.formatVersion = 3),
      /session format version 3 is not supported \(expected 1 or 2; a newer active-testing may open it\)/,
    ],
  ])('refuses to open a header with %s, saying how to export the labels, which export recovers', async (_name, edit, reason) => {
    const { path, lines, history } = await labelledFile(6);
    rewriteHeader(path, lines, edit);
    const error = await ActiveTestingSession.open(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FileFormatError);
    expect((error as Error).message).toMatch(reason);
    expect((error as Error).message).toContain(`active-testing label --session ${path} --export-labels`);
    expect(existsSync(`${path}.lock`)).toBe(false);
    const exported = exportSessionLabels(path);
    expect(exported.labels.map((l) => [l.id, l.label])).toEqual(history.map((h) => [h.id, h.label]));
    expect(exported.unreadableLines).toEqual([]);
  });

  it('opens a session that an earlier version created with a calibration set its iid acquisition never read', async () => {
    const path = scratch();
    const session = await ActiveTestingSession.create(path, { ...options, acquisition: 'iid' });
    await drive(session, 3);
    const history = session.history();
    await session.close();
    // What the earlier version wrote: the fit beside an acquisition that reads no temperature.
    rewriteHeader(path, readFileSync(path, 'utf8').trimEnd().split('\n'), (h) => {
      h.calibration = { rows: 10, temperature: 1.5, nll: 0.5 };
    });
    const reopened = await ActiveTestingSession.open(path);
    try {
      expect(reopened.history().map((h) => [h.id, h.label])).toEqual(history.map((h) => [h.id, h.label]));
    } finally {
      await reopened.close();
    }
    // Created now, the same settings are refused.
    await expect(
      ActiveTestingSession.create(null, { ...options, acquisition: 'iid', calibration: { scores: [[1, 0, 0]], labels: [0] } }),
    ).rejects.toThrow(/^calibration: expected a surrogate acquisition \(iid reads no model's probabilities\)/);
  });

  it('refuses a journal whose proposals the stream does not draw (another pool, seed or proposal design), naming the first', async () => {
    const { path, lines, history } = await labelledFile(4);
    const at = lines.findIndex((line) => (JSON.parse(line) as { e?: string }).e === 'propose');
    const record = JSON.parse(lines[at]) as { i: number };
    const drawn = record.i;
    record.i = (drawn + 1) % N;
    writeFileSync(path, [...lines.slice(0, at), signedRecordLine(record), ...lines.slice(at + 1)].join('\n') + '\n');
    const error = await ActiveTestingSession.open(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FileFormatError);
    expect((error as Error).message).toContain(`line ${at + 1}: recorded proposal ${record.i} but the stream draws ${drawn}`);
    expect((error as Error).message).toContain('or by a build whose proposal differs, or a record before this line was edited');
    expect((error as Error).message).toContain(`active-testing label --session ${path} --export-labels`);
    expect(exportSessionLabels(path).labels.map((l) => l.id)).toEqual(history.map((h) => h.id));
  });

  // The label changed by hand is lines before the proposal that no longer replays: the message
  // said only "another pool or seed, or a build", never the edit that was made.
  it('says that an earlier label may have been edited when an adaptive proposal does not replay', async () => {
    const { path, lines, history } = await labelledFile(30);
    const at = lines.findIndex((line) => (JSON.parse(line) as { e?: string }).e === 'label');
    const record = JSON.parse(lines[at]) as { y: number };
    record.y = (record.y + 1) % classes.length;
    writeFileSync(path, [...lines.slice(0, at), signedRecordLine(record), ...lines.slice(at + 1)].join('\n') + '\n');
    const error = await ActiveTestingSession.open(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FileFormatError);
    expect((error as Error).message).toMatch(
      /^.*: line (\d+): recorded proposal \d+ (but the stream draws \d+|with probability \S+ but the stream's is \S+) \(the file was written for another pool or seed, or by a build whose proposal differs, or a record before this line was edited \(an adaptive proposal depends on every label before it\)\); the session cannot be replayed; /,
    );
    expect(Number(/line (\d+)/.exec((error as Error).message)?.[1])).toBeGreaterThan(at + 1);
    expect(exportSessionLabels(path).labels).toHaveLength(history.length);
  });

  // The lock was named after the path given: a process opening the file through a symbolic link
  // took a lock of its own, read the record another process was writing as a torn line, and cut
  // it from the file, though that process went on to acknowledge it.
  it('locks a session file reached through a symbolic link as the file itself, and leaves its last line alone', async () => {
    const { path } = await labelledFile(3);
    const link = join(dirname(path), 'link.session');
    symlinkSync(path, link);
    const holder = await ActiveTestingSession.open(path);
    try {
      // A record the holder is writing: half of it is on disk.
      appendFileSync(path, '{"s":7,"e":"pro');
      const before = readFileSync(path);
      const error = await ActiveTestingSession.open(link).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SessionLockedError);
      expect((error as SessionLockedError).path).toBe(realpathSync(path));
      expect((error as Error).message).toContain(`${realpathSync(path)} is already open for writing in this process`);
      expect(readFileSync(path)).toEqual(before);
      expect(readdirSync(dirname(path)).sort()).toEqual(['link.session', 'pool.session', 'pool.session.lock']);
    } finally {
      await holder.close();
    }
    const throughLink = await ActiveTestingSession.open(link, { onWarning: () => {} });
    try {
      expect(existsSync(`${path}.lock`)).toBe(true);
      expect(existsSync(`${link}.lock`)).toBe(false);
      await expect(ActiveTestingSession.open(path)).rejects.toThrow(SessionLockedError);
    } finally {
      await throughLink.close();
    }
  });

  it('names the probability when the journal records the drawn item with another one', async () => {
    const { path, lines } = await labelledFile(2);
    const at = lines.findIndex((line) => (JSON.parse(line) as { e?: string }).e === 'propose');
    const record = JSON.parse(lines[at]) as { i: number; q: number };
    const q = record.q;
    record.q = q / 2;
    writeFileSync(path, [...lines.slice(0, at), signedRecordLine(record), ...lines.slice(at + 1)].join('\n') + '\n');
    const error = await ActiveTestingSession.open(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FileFormatError);
    expect((error as Error).message).toContain(`recorded proposal ${record.i} with probability ${q / 2} but the stream's is ${q}`);
  });

  it('exports through the CLI a file whose header is unreadable, as an --answers file', async () => {
    const { path, lines, history } = await labelledFile(5);
    writeFileSync(path, ['{"format": "active-testing-session", damaged', ...lines.slice(1)].join('\n') + '\n');
    const out = join(dirname(path), 'labels.tsv');
    const run = await runCliCaptured(['label', '--session', path, '--export-labels', out]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('exported 5 labels and 0 skips');
    expect(run.stderr).toContain('header is unreadable');
    const rows = readFileSync(out, 'utf8').trimEnd().split('\n');
    expect(rows[0]).toBe('id\tlabel');
    expect(rows.slice(1)).toEqual(history.map((h) => `${h.index}\t${classes.indexOf(h.label!)}`));
    const again = await runCliCaptured(['label', '--session', path, '--export-labels', out]);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(
      `active-testing label: ${out} already exists; choose another file for --export-labels (it is never overwritten)`,
    );
    const missing = await runCliCaptured([
      'label',
      '--session',
      join(dirname(path), 'none.session'),
      '--export-labels',
      join(dirname(path), 'x.tsv'),
    ]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^active-testing label: \S+none\.session: cannot read the session file: no such file \(ENOENT\)$/);
  });

  it('exports skips and leaves out undone labels', async () => {
    const path = scratch();
    const session = await ActiveTestingSession.create(path, options);
    await drive(session, 3);
    const [skipped] = await session.next();
    await session.skip(skipped.id);
    await drive(session, 1);
    const undone = await session.undo();
    await session.close();
    const { labels } = exportSessionLabels(path);
    expect(labels).toHaveLength(4);
    expect(labels.map((l) => l.id)).not.toContain(undone.id);
    expect(labels[3]).toEqual({ index: skipped.index, id: skipped.id, label: null });
    expect(labelsTsv(labels).split('\n')[4]).toBe(`${skipped.id}\tskip`);
  });
});

describe('the header checksum', () => {
  /** The file's header line with `edit` made to its header, the checksum left as written. */
  function editHeader(path: string, lines: string[], edit: (header: Record<string, unknown>) => void): void {
    const header = JSON.parse(lines[0]) as Record<string, unknown>;
    edit(header);
    writeFileSync(path, [JSON.stringify(header), ...lines.slice(1)].join('\n') + '\n');
  }

  it('ends the header line with the SHA-256 of the line without it', async () => {
    const { lines } = await labelledFile(1);
    const [, content, digest] = /^(.*),"checksum":"sha256:([0-9a-f]{64})"\}$/s.exec(lines[0]) ?? [];
    expect(digest).toBe(createHash('sha256').update(`${content}}`).digest('hex'));
    expect(JSON.parse(`${content}}`)).toMatchObject({ format: 'active-testing-session', ids, classes });
  });

  it('opens a file whose header was rewritten unchanged', async () => {
    const { path, lines, history } = await labelledFile(3);
    editHeader(path, lines, () => {});
    const session = await ActiveTestingSession.open(path);
    expect(session.history()).toEqual(history);
    expect(session.settings).not.toHaveProperty('checksum');
    await session.close();
  });

  it.each([
    ['the classes reversed', (h: Record<string, unknown>) => void (h.classes as string[]).reverse()],
    [
      'two texts swapped',
      (h: Record<string, unknown>) => {
        const t = h.texts as string[];
        [t[0], t[1]] = [t[1], t[0]];
      },
    ],
    [
      'a bit flipped in a stored score',
      (h: Record<string, unknown>) => {
        const m = h.targetScores as StoredMatrix;
        const bytes = Buffer.from(m.float64, 'base64');
        bytes[10 * 8] ^= 1;
        h.targetScores = { ...m, float64: bytes.toString('base64') };
      },
    ],
    ['another seed', (h: Record<string, unknown>) => void (h.seed = 4)],
  ])('refuses a header with %s, which its own checks cannot see, and export recovers the labels', async (_name, edit) => {
    const { path, lines, history } = await labelledFile(4);
    editHeader(path, lines, edit);
    const error = await ActiveTestingSession.open(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FileFormatError);
    expect((error as Error).message).toBe(
      `${path}: damaged session header (its checksum does not match its contents: the header was changed after it was written, ` +
        `by hand or by the disk), so the session cannot be replayed; its labels can still be exported: ` +
        `active-testing label --session ${path} --export-labels labels.tsv (or exportSessionLabels())`,
    );
    expect(existsSync(`${path}.lock`)).toBe(false);
    expect(exportSessionLabels(path).labels.map((l) => l.id)).toEqual(history.map((h) => h.id));
  });

  it.each([
    ['removed', (line: string) => line.replace(/,"checksum":"sha256:[0-9a-f]{64}"\}$/, '}')],
    ['damaged in its key', (line: string) => line.replace(',"checksum":', ',"checksun":')],
  ])('refuses a header whose checksum was %s, with or without an edit, and export recovers the labels', async (_name, damage) => {
    const { path, lines, history } = await labelledFile(5);
    for (const header of [lines[0], lines[0].replace('"item 3"', '"item 4"')]) {
      writeFileSync(path, [damage(header), ...lines.slice(1)].join('\n') + '\n');
      expect(readFileSync(path, 'utf8')).not.toContain('"checksum"');
      const error = await ActiveTestingSession.open(path).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FileFormatError);
      expect((error as Error).message).toBe(
        `${path}: damaged session header (it does not end in its checksum, as every header of format version 2 does: ` +
          `the field was removed or damaged, so a change to the header would go unnoticed), so the session cannot be replayed; ` +
          `its labels can still be exported: active-testing label --session ${path} --export-labels labels.tsv (or exportSessionLabels())`,
      );
      expect(existsSync(`${path}.lock`)).toBe(false);
      expect(exportSessionLabels(path).labels.map((l) => [l.id, l.label])).toEqual(history.map((h) => [h.id, h.label]));
    }
    // Nothing was written: the file is as damaged, its labels all there.
    expect(readFileSync(path, 'utf8').trimEnd().split('\n').slice(1)).toEqual(lines.slice(1));
  });

  it('refuses a header whose checksum is not its last field, and a checksum edited to match nothing', async () => {
    const { path, lines } = await labelledFile(2);
    editHeader(path, lines, (h) => {
      const { checksum, ...rest } = h;
      for (const key of Object.keys(h)) delete h[key];
      Object.assign(h, { checksum, ...rest });
    });
    await expect(ActiveTestingSession.open(path)).rejects.toThrow(
      /damaged session header \(its checksum is not the last field of the line/,
    );
    editHeader(path, lines, (h) => void (h.checksum = `sha256:${'0'.repeat(64)}`));
    await expect(ActiveTestingSession.open(path)).rejects.toThrow(/its checksum does not match its contents/);
  });
});

describe('stored scores', () => {
  it('reopens a file of format version 1 (scores as JSON arrays) to the same estimates and proposals', async () => {
    const { path, lines } = await labelledFile(12);
    const current = await ActiveTestingSession.open(path);
    const expected = { estimate: current.estimate(), next: (await current.next())[0] };
    await current.close();
    rewriteAsFormatVersion1(path, lines);
    expect(readFileSync(path, 'utf8')).toContain('"data":[');
    expect(readFileSync(path, 'utf8')).not.toContain('"checksum"');
    const old = await ActiveTestingSession.open(path);
    expect(old.estimate()).toEqual(expected.estimate);
    expect((await old.next())[0]).toEqual(expected.next);
    await old.close();
  });

  it('stores every score exactly, negative zero and subnormals included', async () => {
    const modelScores = { data: Float64Array.from(pool.modelScores.data), shape: [N, 3] as [number, number] };
    modelScores.data.set([-0, Number.MIN_VALUE, 0.1 + 0.2, -1 / 3], 0);
    const path = scratch();
    await (await ActiveTestingSession.create(path, { ...options, modelScores })).close();
    const header = JSON.parse(readFileSync(path, 'utf8').split('\n')[0]) as { formatVersion: number; targetScores: StoredMatrix };
    expect(header.formatVersion).toBe(2);
    const stored = new Float64Array(Uint8Array.from(Buffer.from(header.targetScores.float64, 'base64')).buffer);
    expect(Object.is(stored[0], -0)).toBe(true);
    expect(Array.from(stored)).toEqual(Array.from(modelScores.data));
  });

  it("predicts the header line's length before encoding the scores, escapes in the texts included", async () => {
    const quoted = texts.map((text, i) => (i % 7 === 0 ? `"${text}"\t\\ é ✓ \u0001` : text));
    const path = scratch();
    const comparisonScores = { data: pool.surrogateScores.data.map((x) => x / 3), shape: [N, 3] as [number, number] };
    await (await ActiveTestingSession.create(path, { ...options, texts: quoted, comparisonScores, acquisition: 'surrogate-ce' })).close();
    const line = readFileSync(path, 'utf8').split('\n')[0];
    const header = JSON.parse(line) as Parameters<typeof headerLineLength>[0] & { checksum?: string };
    delete header.checksum;
    const matrices = [header.targetScores, header.comparisonScores, header.surrogateScores].map((m) =>
      m === null ? undefined : { rows: m.rows, cols: m.cols, data: new Float64Array(m.rows * m.cols) },
    );
    expect(matrices.every((m) => m !== undefined)).toBe(true);
    Object.assign(header, { targetScores: null, comparisonScores: null, surrogateScores: null });
    expect(headerLineLength(header, matrices)).toBe(line.length);
  });
});

describe('the end of a journal', () => {
  it('keeps a complete last record that lacks its newline, and appends after it', async () => {
    const { path, history } = await labelledFile(4);
    writeFileSync(path, readFileSync(path, 'utf8').replace(/\n$/, ''));
    const warnings: string[] = [];
    const reopened = await ActiveTestingSession.open(path, { onWarning: (m) => warnings.push(m) });
    expect(warnings).toEqual([]);
    expect(reopened.estimate().labels).toBe(4);
    expect(reopened.history()).toEqual(history);
    await drive(reopened, 1);
    await reopened.close();
    const again = await ActiveTestingSession.open(path);
    expect(again.estimate().labels).toBe(5);
    await again.close();
  });

  it('opens a file an editor saved as UTF-8 with a byte order mark and CRLF line ends, appends after it, and exports it', async () => {
    const { path, history } = await labelledFile(4);
    const edited = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(readFileSync(path, 'utf8').replace(/\n/g, '\r\n'))]);
    writeFileSync(path, edited);
    const labels = history.map((h) => [h.id, h.label]);
    expect(exportSessionLabels(path)).toMatchObject({ headerReadable: true, unreadableLines: [] });
    expect(exportSessionLabels(path).labels.map((l) => [l.id, l.label])).toEqual(labels);
    const warnings: string[] = [];
    const reopened = await ActiveTestingSession.open(path, { onWarning: (m) => warnings.push(m) });
    expect(warnings).toEqual([]);
    expect(reopened.history()).toEqual(history);
    await drive(reopened, 1);
    const fifth = reopened.history().slice(-1);
    await reopened.close();
    // The editor's bytes are left as they were; the new records follow them.
    expect(readFileSync(path).subarray(0, edited.length)).toEqual(edited);
    const again = await ActiveTestingSession.open(path);
    expect(again.history()).toEqual([...history, ...fifth]);
    await again.close();
  });

  it('cuts blank lines an editor left at the end, with no side file or warning, and appends after the last record', async () => {
    const { path, history } = await labelledFile(3);
    const written = readFileSync(path, 'utf8');
    writeFileSync(path, `${written}\n \r\n\t\n`);
    const warnings: string[] = [];
    const reopened = await ActiveTestingSession.open(path, { onWarning: (m) => warnings.push(m) });
    expect(warnings).toEqual([]);
    expect(reopened.history()).toEqual(history);
    await drive(reopened, 1);
    await reopened.close();
    expect(readdirSync(dirname(path))).toEqual(['pool.session']);
    expect(readFileSync(path, 'utf8').startsWith(written)).toBe(true);
    const again = await ActiveTestingSession.open(path);
    expect(again.estimate().labels).toBe(4);
    await again.close();
  });

  it('exports a file that ends in blank lines without reporting them as unreadable', async () => {
    const { path, history } = await labelledFile(3);
    writeFileSync(path, `${readFileSync(path, 'utf8')}\r\n\n`);
    const exported = exportSessionLabels(path);
    expect(exported.unreadableLines).toEqual([]);
    expect(exported.labels.map((l) => [l.id, l.label])).toEqual(history.map((h) => [h.id, h.label]));
  });

  it('moves an unreadable last line to a side file beside the journal, never deleting it', async () => {
    const { path } = await labelledFile(3);
    const torn = '{"s":7,"e":"label","i":4,"y"';
    writeFileSync(path, readFileSync(path, 'utf8') + torn);
    const warnings: string[] = [];
    const reopened = await ActiveTestingSession.open(path, { onWarning: (m) => warnings.push(m) });
    await reopened.close();
    expect(warnings).toEqual([expect.stringContaining(`moved to ${path}.torn-1`)]);
    expect(readFileSync(`${path}.torn-1`, 'utf8')).toBe(torn);
    writeFileSync(path, readFileSync(path, 'utf8') + 'garbage\n');
    const second = await ActiveTestingSession.open(path, { onWarning: () => undefined });
    await second.close();
    expect(readFileSync(`${path}.torn-1`, 'utf8')).toBe(torn);
    expect(readFileSync(`${path}.torn-2`, 'utf8')).toBe('garbage\n');
  });
});

describe('journal records are checked on replay', () => {
  it('refuses a damaged line in the middle with its number and the way to export the other labels', async () => {
    const { path, lines, history } = await labelledFile(3);
    lines[2] = '{"s":2,"e":"label",';
    writeFileSync(path, lines.join('\n') + '\n');
    const error = await ActiveTestingSession.open(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FileFormatError);
    expect((error as Error).message).toMatch(/line 3 is not a JSON object; the session file is damaged; its labels can still be exported/);
    const exported = exportSessionLabels(path);
    expect(exported.unreadableLines).toEqual([3]);
    expect(exported.labels.map((l) => l.id)).toEqual(history.slice(1).map((h) => h.id));
  });

  // A file given by mistake (a package.json, a README) is no damaged session with labels to export.
  it('refuses a file whose first line is not a JSON object as no session file, with no export hint', async () => {
    const path = join(dirname(scratch()), 'package.json');
    writeFileSync(path, '{\n  "name": "x"\n}\n');
    await expect(ActiveTestingSession.open(path)).rejects.toThrow(
      new FileFormatError(path, 'not an active-testing session file, or its header (line 1) is damaged: line 1 is not a JSON object'),
    );
  });

  it.each([
    ['a label out of range', (r: Record<string, unknown>) => r.e === 'label' && void (r.y = 7), /label 7 is not a class index in \[0, 2\]/],
    ['a label as a string', (r: Record<string, unknown>) => r.e === 'label' && void (r.y = '1'), /label "1"/],
    ['a fractional item', (r: Record<string, unknown>) => r.e === 'label' && void (r.i = 1.5), /item 1.5 is not a pool row/],
    ['a probability as a string', (r: Record<string, unknown>) => r.e === 'propose' && void (r.q = '0.5'), /proposal probability "0.5"/],
    ['an unknown kind', (r: Record<string, unknown>) => r.e === 'label' && void (r.e = 'lable'), /unknown record kind "lable"/],
    [
      'a repeated sequence number',
      (r: Record<string, unknown>) => r.e === 'label' && void (r.s = 1),
      /record number 1 where 2 was expected/,
    ],
    [
      'target scores of the wrong length',
      (r: Record<string, unknown>) => r.e === 'label' && void (r.f = [1, 2]),
      /target scores are not 3 finite numbers/,
    ],
  ])('refuses %s with its line number', async (_name, edit, reason) => {
    const { path, lines } = await labelledFile(2);
    // The first record the edit applies to (it returns false for the others).
    const at = lines.findIndex((line, n) => n > 0 && edit(JSON.parse(line) as Record<string, unknown>) !== false);
    const record = JSON.parse(lines[at]) as Record<string, unknown>;
    edit(record);
    lines[at] = signedRecordLine(record);
    writeFileSync(path, lines.join('\n') + '\n');
    const error = await ActiveTestingSession.open(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FileFormatError);
    expect((error as Error).message).toMatch(new RegExp(`line ${at + 1}: `));
    expect((error as Error).message).toMatch(reason);
  });
});

describe('record checks', () => {
  const exportHint = (path: string) =>
    `its labels can still be exported: active-testing label --session ${path} --export-labels labels.tsv (or exportSessionLabels())`;

  /**
   * The file with one bit of the label on its last label line flipped so that it names another
   * class ('0' ↔ '1', '2' → '0'), as a bad disk or a careless edit leaves it; returns that line's
   * number and the item.
   */
  function flipLastLabel(path: string): { line: number; index: number } {
    const bytes = readFileSync(path);
    const lines = bytes.toString('utf8').trimEnd().split('\n');
    const at = lines.length - 1 - [...lines].reverse().findIndex((line) => line.includes('"e":"label"'));
    const { i, y } = JSON.parse(lines[at]) as { i: number; y: number };
    const offset = lines.slice(0, at).reduce((sum, line) => sum + Buffer.byteLength(line) + 1, 0) + lines[at].indexOf(`"y":${y}`) + 4;
    bytes[offset] ^= y === 2 ? 2 : 1;
    writeFileSync(path, bytes);
    return { line: at + 1, index: i };
  }

  it('refuses a label whose byte changed after it was written, naming its line; export passes over that line', async () => {
    const { path, history } = await labelledFile(4);
    const { line, index } = flipLastLabel(path);
    const damaged = readFileSync(path);
    const message =
      `${path}: line ${line} is damaged (its check "c" does not match its contents: the line was changed after it was written, ` +
      `by hand or by the disk, and may read as another label or item), so the session cannot be replayed; ${exportHint(path)}`;
    for (const options of [{}, { readOnly: true }]) {
      const error = await ActiveTestingSession.open(path, options).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FileFormatError);
      expect((error as Error).message).toBe(message);
    }
    expect(readFileSync(path)).toEqual(damaged);
    expect(readdirSync(dirname(path))).toEqual(['pool.session']);
    const exported = exportSessionLabels(path);
    expect(exported.unreadableLines).toEqual([line]);
    expect(exported.labels.map((l) => [l.id, l.label])).toEqual(history.filter((h) => h.index !== index).map((h) => [h.id, h.label]));
  });

  it('refuses it through `label` with one line on stderr and exit 1, the file left as it was', async () => {
    const files = await writePoolFiles(40, 4);
    const path = join(files.dir, 'flip.session');
    const answers = join(files.dir, 'answers.tsv');
    writeFileSync(answers, ['id\tlabel', ...files.ids.map((id, i) => `${id}\t${CLASSES[files.pool.labels[i]]}`)].join('\n') + '\n');
    const label = (args: string[]) => spawnSync(process.execPath, [...CLI, ...args], { encoding: 'utf8' });
    expect(label([...createArgs(files, path, 1), '--answers', answers, '--max-labels', '3']).status).toBe(0);
    const { line } = flipLastLabel(path);
    const damaged = readFileSync(path);
    const resumed = label(['label', '--session', path, '--answers', answers, '--max-labels', '5']);
    expect(resumed.status).toBe(1);
    expect(resumed.stdout).toBe('');
    expect(resumed.stderr).toBe(
      `active-testing label: ${path}: line ${line} is damaged (its check "c" does not match its contents: the line was changed ` +
        `after it was written, by hand or by the disk, and may read as another label or item), so the session cannot be replayed; ` +
        `${exportHint(path)}\n`,
    );
    expect(readFileSync(path)).toEqual(damaged);
    expect(readdirSync(files.dir).filter((name) => name.startsWith('flip.session'))).toEqual(['flip.session']);
  });

  // A flipped bit (0x63 → 0x61) turns the check's key into the annotator's: the line read back
  // with an annotator nobody gave, unchecked.
  it('refuses a record without its check after records that have one: a bit turned its key "c" into "a"', async () => {
    const { path, lines, history } = await labelledFile(4);
    const at = lines.findIndex((line, n) => n > 2 && line.includes('"e":"label"'));
    const written = lines[at];
    lines[at] = written.replace(',"c":"', ',"a":"');
    writeFileSync(path, lines.join('\n') + '\n');
    const error = await ActiveTestingSession.open(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FileFormatError);
    expect((error as Error).message).toBe(
      `${path}: line ${at + 1} is damaged (its check's key "c" was changed, so its contents cannot be trusted), so the session cannot be replayed; ${exportHint(path)}`,
    );
    // Its label is as written: export keeps it.
    expect(exportSessionLabels(path).labels.map((l) => [l.id, l.label])).toEqual(history.map((h) => [h.id, h.label]));
    // The field taken out whole.
    lines[at] = written.replace(/,"c":"[0-9a-f]{8}"\}$/, '}');
    writeFileSync(path, lines.join('\n') + '\n');
    await expect(ActiveTestingSession.open(path)).rejects.toThrow(
      `${path}: line ${at + 1} is damaged (it has no check "c", though the records from line 2 on have one: the field was removed ` +
        'or damaged, or an active-testing older than the one that wrote those appended the line, so a change to it would go ' +
        `unnoticed), so the session cannot be replayed; ${exportHint(path)}`,
    );
  });

  it('refuses a check that is not the last field of its line, and one edited to match nothing', async () => {
    const { path, lines } = await labelledFile(2);
    const { c, ...record } = JSON.parse(lines[2]) as Record<string, unknown>;
    writeFileSync(path, [...lines.slice(0, 2), JSON.stringify({ c, ...record }), ...lines.slice(3)].join('\n') + '\n');
    await expect(ActiveTestingSession.open(path)).rejects.toThrow(
      `line 3 is damaged (its check "c" is not as it is written: the last field of the line, 8 lower-case hex digits)`,
    );
    writeFileSync(
      path,
      [...lines.slice(0, 2), lines[2].replace(/"c":"[0-9a-f]{8}"/, '"c":"00000000"'), ...lines.slice(3)].join('\n') + '\n',
    );
    await expect(ActiveTestingSession.open(path)).rejects.toThrow(`line 3 is damaged (its check "c" does not match its contents`);
  });

  it('opens a file written before records carried checks, with Windows line ends too, and resumes it with checked records', async () => {
    const { path, lines, history } = await labelledFile(5);
    const unchecked = lines.map((line, n) => (n === 0 ? line : line.replace(/,"c":"[0-9a-f]{8}"\}$/, '}')));
    expect(unchecked.slice(1).join('\n')).not.toContain('"c"');
    for (const end of ['\r\n', '\n']) {
      writeFileSync(path, unchecked.join(end) + end);
      const session = await ActiveTestingSession.open(path, { readOnly: true });
      expect(session.history()).toEqual(history);
    }
    const session = await ActiveTestingSession.open(path);
    await drive(session, 2);
    const resumed = session.history();
    await session.close();
    const mixed = readFileSync(path, 'utf8').trimEnd().split('\n');
    expect(mixed.slice(0, unchecked.length)).toEqual(unchecked);
    expect(mixed.length).toBeGreaterThan(unchecked.length);
    expect(mixed.slice(unchecked.length).every((line) => /,"c":"[0-9a-f]{8}"\}$/.test(line))).toBe(true);
    const again = await ActiveTestingSession.open(path);
    expect(again.history()).toEqual(resumed);
    expect(again.estimate().labels).toBe(7);
    await again.close();
  });

  it('still moves a torn last line aside when the line cut short is a checked one', async () => {
    const { path, history } = await labelledFile(3);
    const next = readFileSync(path, 'utf8').trimEnd().split('\n').length;
    const line = checkedRecordLine({ s: next, e: 'propose', i: 0, q: 0.5 }).toString('utf8');
    // Cut inside the check, and just before the closing brace.
    for (const [n, torn] of [line.slice(0, -6), line.slice(0, -2)].entries()) {
      writeFileSync(path, readFileSync(path, 'utf8') + torn);
      const warnings: string[] = [];
      const reopened = await ActiveTestingSession.open(path, { onWarning: (m) => warnings.push(m) });
      expect(reopened.history()).toEqual(history);
      await reopened.close();
      expect(warnings).toEqual([
        expect.stringContaining(`it was moved to ${path}.torn-${n + 1}, and the ${next - 1} complete records are kept`),
      ]);
      expect(readFileSync(`${path}.torn-${n + 1}`, 'utf8')).toBe(torn);
    }
  });
});

describe('sequence numbers on replay', () => {
  /** The file with the sequence number of its first label removed; returns that record's line number. */
  function withoutNumber(path: string, lines: string[]): number {
    const at = lines.findIndex((line, n) => n > 0 && (JSON.parse(line) as { e: string }).e === 'label');
    const { s: _s, ...record } = JSON.parse(lines[at]) as Record<string, unknown>;
    lines[at] = signedRecordLine(record);
    writeFileSync(path, lines.join('\n') + '\n');
    return at + 1;
  }

  it('refuses a record without its sequence number in a file whose header has a checksum', async () => {
    const { path, lines } = await labelledFile(3);
    const line = withoutNumber(path, lines);
    const error = await ActiveTestingSession.open(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FileFormatError);
    expect((error as Error).message).toContain(
      `${path}: line ${line}: record without its sequence number "s" (${line - 1} was expected); the session cannot be replayed; its labels can still be exported`,
    );
  });

  it('replays records without sequence numbers in a file from before header checksums', async () => {
    const { path, lines, history } = await labelledFile(3);
    withoutNumber(path, lines);
    rewriteAsFormatVersion1(path, readFileSync(path, 'utf8').trimEnd().split('\n'));
    expect(readFileSync(path, 'utf8')).not.toContain('"checksum"');
    const session = await ActiveTestingSession.open(path);
    expect(session.history()).toEqual(history);
    await drive(session, 1);
    await session.close();
    const again = await ActiveTestingSession.open(path);
    expect(again.estimate().labels).toBe(4);
    await again.close();
  });
});

describe('the journal refuses appends out of sequence or to a file no longer at its path', () => {
  it('numbers every record and refuses a sequence number that is not the next one', () => {
    const path = scratch();
    const journal = FileJournal.create(path, { a: 1 });
    journal.append({ e: 'x' }, 1);
    expect(() => journal.append({ e: 'y' }, 3)).toThrow(SessionFileError);
    expect(() => journal.append({ e: 'y' }, 1)).toThrow(/record 1 is out of sequence \(the journal holds 1 records\)/);
    journal.append({ e: 'y' }, 2);
    journal.close();
    expect(FileJournal.read(path).records).toEqual([{ e: 'x' }, { e: 'y' }]);
  });

  it('refuses an append once another writer has appended to the file', () => {
    const path = scratch();
    FileJournal.create(path, { a: 1 }).close();
    const first = FileJournal.openForAppend(path, FileJournal.read(path)).journal;
    const second = FileJournal.openForAppend(path, FileJournal.read(path)).journal;
    first.append({ e: 'x' }, 1);
    expect(() => second.append({ e: 'y' }, 1)).toThrow(/another process has written to the session file/);
    first.close();
    second.close();
    expect(FileJournal.read(path).records).toEqual([{ e: 'x' }]);
  });

  it.each([
    ['deleted', (path: string) => unlinkSync(path)],
    ['renamed', (path: string) => renameSync(path, `${path}.moved`)],
    ['replaced', (path: string) => (copyFileSync(path, `${path}.copy`), renameSync(`${path}.copy`, path))],
  ])('refuses an append once the file at the path was %s, and writes nothing', (_name, change) => {
    const path = scratch();
    const journal = FileJournal.create(path, { a: 1 });
    journal.append({ e: 'x' }, 1);
    const before = readFileSync(path);
    change(path);
    expect(() => journal.append({ e: 'y' }, 2)).toThrow(SessionFileError);
    expect(() => journal.append({ e: 'y' }, 2)).toThrow(/was deleted, renamed or replaced since this process opened it/);
    journal.close();
    for (const file of readdirSync(dirname(path))) expect(readFileSync(join(dirname(path), file)).equals(before)).toBe(true);
  });

  it('a session whose file was renamed refuses the next label and closes itself', async () => {
    const path = scratch();
    const session = await ActiveTestingSession.create(path, options);
    await drive(session, 2);
    const [item] = await session.next();
    renameSync(path, `${path}.moved`);
    await expect(session.record(item.id, truth(item.id))).rejects.toThrow(
      /the session file could not be written \(.*was deleted, renamed or replaced.*\); reopen it to continue/,
    );
    // Every later action is refused with the same typed error, which says why.
    const later = await session.skip(item.id).catch((e: unknown) => e);
    expect(later).toBeInstanceOf(SessionWriteError);
    expect((later as SessionWriteError).reason).toMatch(/was deleted, renamed or replaced/);
    // The moved file holds exactly what was acknowledged: 2 labels (and their proposals) and the third proposal.
    expect(FileJournal.read(`${path}.moved`).records.map((r) => r.e)).toEqual(['propose', 'label', 'propose', 'label', 'propose']);
  });

  it('writes the sequence number into each session record', async () => {
    const { lines } = await labelledFile(2);
    expect(lines.slice(1).map((line) => (JSON.parse(line) as { s: number }).s)).toEqual([1, 2, 3, 4]);
  });
});
