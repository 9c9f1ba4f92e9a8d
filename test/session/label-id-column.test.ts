import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ActiveTestingSession, FileFormatError, InputError } from '../../src/index.js';
import { runCliCaptured } from '../helpers/cli.js';
import { CLASSES, createArgs, writePoolFiles, type PoolFiles } from './cli-pool.js';

// A pool whose ids are in a column that is not named `id`: `--id-column key` names it when the
// session is created, and the answers files name their items in a column of the same name.
const N = 12;

interface KeyedPool extends PoolFiles {
  keyed: string;
  keys: string[];
  answerOf: (i: number) => string;
}

async function keyedPool(seed: number): Promise<KeyedPool> {
  const files = await writePoolFiles(N, seed);
  const keys = files.ids.map((_, i) => `k${i}`);
  const keyed = join(files.dir, 'keyed.tsv');
  writeFileSync(keyed, ['key\tsentence', ...keys.map((key, i) => `${key}\t${files.texts[i]}`)].join('\n') + '\n');
  return { ...files, keyed, keys, answerOf: (i) => CLASSES[files.pool.labels[i]!]! };
}

/** The options that create a session over the keyed pool, its ids in the column `key`. */
function keyedArgs(pool: KeyedPool, session: string): string[] {
  const args = createArgs(pool, session, 1);
  args[args.indexOf('--data') + 1] = pool.keyed;
  return [...args, '--id-column', 'key'];
}

/** An answers file naming each item by its key, in the pool's order reversed (so that no row is its item's row). */
function keyedAnswers(pool: KeyedPool, name: string): string {
  const path = join(pool.dir, name);
  const rows = pool.keys.map((key, i) => `${key},${pool.answerOf(i)}`).reverse();
  writeFileSync(path, ['key,label', ...rows].join('\n') + '\n');
  return path;
}

/** A session over the keyed pool created with `--id-column key`, labelled `labels` times from keyed answers (`answers`). */
async function keyedSession(pool: KeyedPool, labels: number): Promise<{ session: string; answers: string }> {
  const session = join(pool.dir, 'keyed.session');
  const answers = keyedAnswers(pool, 'answers.csv');
  const created = await runCliCaptured([...keyedArgs(pool, session), '--answers', answers, '--max-labels', String(labels)]);
  expect(created.code, created.stderr).toBe(0);
  return { session, answers };
}

/**
 * A session over the keyed pool created without --id-column: its items are numbered by row (the
 * pool has no `id` column), and its file, like one written before the column was stored, names no
 * column. Labelled `labels` times from `byRow`, the answers in pool order without ids.
 */
async function rowNumberedSession(pool: KeyedPool, labels: number): Promise<{ session: string; byRow: string }> {
  const session = join(pool.dir, 'rows.session');
  const byRow = join(pool.dir, 'by-row.csv');
  writeFileSync(byRow, ['label', ...pool.keys.map((_, i) => pool.answerOf(i))].join('\n') + '\n');
  const created = await runCliCaptured([...keyedArgs(pool, session).slice(0, -2), '--answers', byRow, '--max-labels', String(labels)]);
  expect(created.code, created.stderr).toBe(0);
  return { session, byRow };
}

/** The session's labels by item id, as `--export-labels` writes them. */
async function storedLabels(session: string, dir: string): Promise<Map<string, string>> {
  const exported = join(dir, 'labels.tsv');
  const run = await runCliCaptured(['label', '--session', session, '--export-labels', exported]);
  expect(run.code, run.stderr).toBe(0);
  const rows = readFileSync(exported, 'utf8').trim().split('\n').slice(1);
  rmSync(exported);
  return new Map(rows.map((row) => row.split('\t') as [string, string]));
}

/** The labels each item should have: its key and its answer, for the keys given. */
const expected = (pool: KeyedPool, keys: Iterable<string>): Map<string, string> =>
  new Map([...keys].map((key) => [key, pool.answerOf(pool.keys.indexOf(key))]));

describe("label: the pool's --id-column is kept by the session", () => {
  it('reads resumed answers by the id column the session was created with, given again or not', async () => {
    const pool = await keyedPool(21);
    const { session } = await keyedSession(pool, 3);
    let labels = await storedLabels(session, pool.dir);
    expect(labels.size).toBe(3);
    expect(labels).toEqual(expected(pool, labels.keys()));

    // Resumed as the help says (the session file alone), with a second answers file keyed the same way.
    const second = keyedAnswers(pool, 'second.csv');
    const resumed = await runCliCaptured(['label', '--session', session, '--answers', second, '--max-labels', '6']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout.match(/^labelled k\d+ /gm)).toHaveLength(3);
    // With the same --id-column given again, alone and with the pool file.
    const sameColumn = await runCliCaptured([
      'label',
      '--session',
      session,
      '--id-column',
      'key',
      '--answers',
      second,
      '--max-labels',
      '8',
    ]);
    expect(sameColumn.code, sameColumn.stderr).toBe(0);
    // The creating command again: the pool file is compared to the session's by the stored column.
    const creatingAgain = await runCliCaptured([...keyedArgs(pool, session), '--answers', second, '--max-labels', '10']);
    expect(creatingAgain.code, creatingAgain.stderr).toBe(0);
    const withoutColumn = keyedArgs(pool, session).slice(0, -2);
    const poolAgain = await runCliCaptured([...withoutColumn, '--answers', second, '--max-labels', '11']);
    expect(poolAgain.code, poolAgain.stderr).toBe(0);
    labels = await storedLabels(session, pool.dir);
    expect(labels.size).toBe(11);
    expect(labels).toEqual(expected(pool, labels.keys()));
  });

  it('refuses another --id-column on resume in one line, writing nothing', async () => {
    const pool = await keyedPool(22);
    const { session, answers } = await keyedSession(pool, 2);
    const before = readFileSync(session);
    const message =
      `active-testing label: --id-column: expected the column "key", as ${session} was created with ` +
      '(a session keeps its pool and settings: leave --id-column out to resume it, or give another --session to start a new one), got "sentence"';
    for (const args of [
      ['label', '--session', session, '--id-column', 'sentence', '--answers', answers],
      [...keyedArgs(pool, session).slice(0, -1), 'sentence', '--answers', answers],
    ]) {
      const refused = await runCliCaptured(args);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toBe(message);
      expect(readFileSync(session)).toEqual(before);
    }
  });

  it('tells a pool file without the stored column against the session, not against a flag never given', async () => {
    const pool = await keyedPool(24);
    const { session, answers } = await keyedSession(pool, 2);
    const before = readFileSync(session);
    // The pool file of writePoolFiles: its ids in `id`, no `key` column.
    const refused = await runCliCaptured([
      ...keyedArgs(pool, session)
        .slice(0, -2)
        .map((arg) => (arg === pool.keyed ? pool.data : arg)),
      '--answers',
      answers,
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      `active-testing label: --data: ${pool.data}: no column "key", the id column ${session} was created with (columns: id, sentence, label)`,
    );
    expect(readFileSync(session)).toEqual(before);
  });

  it('takes an --id-column given to resume a session that stores none only from answers that hold it', async () => {
    const pool = await keyedPool(25);
    const { session, byRow } = await rowNumberedSession(pool, 2);
    const before = readFileSync(session);
    // A column the answers lack is refused, not dropped for their rows.
    const missing = await runCliCaptured(['label', '--session', session, '--id-column', 'nonexistent', '--answers', byRow]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(
      `active-testing label: ${byRow}: no column "id" or "nonexistent" (columns: label), and the --id-column given names the answers' ids: add that column, naming each answer's item (--answers)`,
    );
    // One they hold names their ids, checked against the pool's (here its row numbers).
    const keyed = await runCliCaptured([
      'label',
      '--session',
      session,
      '--id-column',
      'key',
      '--answers',
      keyedAnswers(pool, 'answers.csv'),
    ]);
    expect(keyed.code).toBe(1);
    expect(keyed.stderr).toMatch(/: line 2: item id "k11" is not in the pool \(--answers\)$/);
    expect(readFileSync(session)).toEqual(before);
    // Ids that are row numbers in another order, in a column of another name: read by it.
    const numbered = join(pool.dir, 'numbered.csv');
    writeFileSync(numbered, ['key,label', ...pool.keys.map((_, i) => `${i},${pool.answerOf(i)}`).reverse()].join('\n') + '\n');
    const byKey = await runCliCaptured(['label', '--session', session, '--id-column', 'key', '--answers', numbered, '--max-labels', '5']);
    expect(byKey.code, byKey.stderr).toBe(0);
    const labels = await storedLabels(session, pool.dir);
    expect(labels.size).toBe(5);
    expect(labels).toEqual(new Map([...labels.keys()].map((id) => [id, pool.answerOf(Number(id))])));
  });

  it('never reads answers by row in a pool keyed by other ids, nor where --id-column names their column', async () => {
    // The keys are the row numbers shuffled: answers read by row would land on other items without an error.
    const files = await writePoolFiles(N, 26);
    const shuffled = [3, 0, 7, 1, 6, 2, 5, 4, 11, 9, 8, 10];
    const keyed = join(files.dir, 'shuffled.tsv');
    writeFileSync(keyed, ['key\tsentence', ...shuffled.map((key, i) => `${key}\t${files.texts[i]}`)].join('\n') + '\n');
    const byRow = join(files.dir, 'by-row.csv');
    writeFileSync(byRow, ['label', ...shuffled.map((_, i) => CLASSES[files.pool.labels[i]!]!)].join('\n') + '\n');
    const session = join(files.dir, 's.session');
    const args = createArgs(files, session, 1);
    args[args.indexOf('--data') + 1] = keyed;
    const refusal = (column: string) => `active-testing label: ${byRow}: no column "id" or "key" (columns: label)${column}`;
    // Created with --id-column key: the answers must hold it.
    const created = await runCliCaptured([...args, '--id-column', 'key', '--answers', byRow]);
    expect(created.code).toBe(1);
    expect(created.stderr).toBe(
      refusal(", and the --id-column given names the answers' ids: add that column, naming each answer's item (--answers)"),
    );
    expect(existsSync(session)).toBe(false);
    // Resumed without it: the stored column is not in the answers, and the pool's ids are not its rows.
    const keyedFile = join(files.dir, 'keyed.csv');
    writeFileSync(keyedFile, ['key,label', ...shuffled.map((key, i) => `${key},${CLASSES[files.pool.labels[i]!]}`)].join('\n') + '\n');
    const first = await runCliCaptured([...args, '--id-column', 'key', '--answers', keyedFile, '--max-labels', '2']);
    expect(first.code, first.stderr).toBe(0);
    const before = readFileSync(session);
    const resumed = await runCliCaptured(['label', '--session', session, '--answers', byRow]);
    expect(resumed.code).toBe(1);
    expect(resumed.stderr).toBe(
      refusal(
        ': answers go to items by row only in a pool numbered by row, and this pool\'s items have ids of their own ("3", …): add a column naming each answer\'s item (--answers)',
      ),
    );
    expect(readFileSync(session)).toEqual(before);
  });

  it('reads answers exported by --export-labels (an id column) into a session keyed by another column', async () => {
    const pool = await keyedPool(29);
    const { session } = await keyedSession(pool, 3);
    // Another session's labels of the same pool, as --export-labels writes them: `id` and `label`.
    const exported = join(pool.dir, 'exported.tsv');
    writeFileSync(exported, ['id\tlabel', ...pool.keys.map((key, i) => `${key}\t${pool.answerOf(i)}`)].join('\n') + '\n');
    for (const flags of [[], ['--id-column', 'key']]) {
      const resumed = await runCliCaptured([
        'label',
        '--session',
        session,
        ...flags,
        '--answers',
        exported,
        '--max-labels',
        String(6 + flags.length),
      ]);
      expect(resumed.code, resumed.stderr).toBe(0);
    }
    const labels = await storedLabels(session, pool.dir);
    expect(labels.size).toBe(8);
    expect(labels).toEqual(expected(pool, labels.keys()));
  });

  it('reads the pool file passed as its own answers by its --id-column, not by an id column it also holds', async () => {
    const files = await writePoolFiles(6, 28);
    // `id` holds the row numbers reversed, `key` the row numbers: the pool's ids are read from `key`.
    const both = join(files.dir, 'both.tsv');
    const rows = files.texts.map((text, i) => `${5 - i}\t${i}\t${text}\t${CLASSES[files.pool.labels[i]!]}`);
    writeFileSync(both, ['id\tkey\tsentence\tlabel', ...rows].join('\n') + '\n');
    const session = join(files.dir, 'both.session');
    const args = createArgs(files, session, 1);
    args[args.indexOf('--data') + 1] = both;
    const run = await runCliCaptured([...args, '--id-column', 'key', '--answers', both, '--max-labels', '6']);
    expect(run.code, run.stderr).toBe(0);
    const labels = await storedLabels(session, files.dir);
    expect(labels).toEqual(new Map(files.texts.map((_, i) => [String(i), CLASSES[files.pool.labels[i]!]!])));
  });

  it('refuses an --id-column that names nothing: a session storing none, without --data or --answers', async () => {
    const pool = await keyedPool(27);
    const { session } = await rowNumberedSession(pool, 1);
    // As serve resumes it (interactive label resumes it so too, on a terminal).
    const refused = await runCliCaptured(['serve', '--session', session, '--id-column', 'key', '--port', '0']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(
      `active-testing serve: --id-column: ${session} stores no id column, and no pool file (--data) is given to read one from: leave --id-column out\nRun \`active-testing serve --help\` for usage.`,
    );
  });

  it('opens a session file written before the id column was stored, as before', async () => {
    // Written by `label --id-column key --max-labels 3` before the column was stored (the pool of
    // keyedPool(23), seed 1): its header has no idColumn.
    const pool = await keyedPool(23);
    const session = join(pool.dir, 'before.session');
    copyFileSync(join(import.meta.dirname, '../fixtures/sessions/id-column-key-before.session'), session);
    expect(readFileSync(session, 'utf8').split('\n')[0]).not.toContain('idColumn');
    expect(await storedLabels(session, pool.dir)).toEqual(expected(pool, ['k9', 'k6', 'k4']));
    const answers = keyedAnswers(pool, 'answers.csv');
    // Without a stored column answers without an `id` column would go by row, which a pool of ids of its own refuses.
    const byRow = await runCliCaptured(['label', '--session', session, '--answers', answers, '--max-labels', '5']);
    expect(byRow.code).toBe(1);
    expect(byRow.stderr).toBe(
      `active-testing label: ${answers}: no column "id" (columns: key, label): answers go to items by row only in a pool numbered by row, and this pool's items have ids of their own ("k0", …): add a column naming each answer's item, or name the one that does with --id-column (--answers)`,
    );
    // An id column of their own, or --id-column given now, names them.
    const withId = join(pool.dir, 'with-id.tsv');
    writeFileSync(withId, ['id\tlabel', ...pool.keys.map((key, i) => `${key}\t${pool.answerOf(i)}`)].join('\n') + '\n');
    const named = await runCliCaptured(['label', '--session', session, '--answers', withId, '--max-labels', '5']);
    expect(named.code, named.stderr).toBe(0);
    const given = await runCliCaptured(['label', '--session', session, '--id-column', 'key', '--answers', answers, '--max-labels', '7']);
    expect(given.code, given.stderr).toBe(0);
    const labels = await storedLabels(session, pool.dir);
    expect(labels.size).toBe(7);
    expect(labels).toEqual(expected(pool, labels.keys()));
    // Its header is left as it was: it still has no stored column.
    expect(readFileSync(session, 'utf8').split('\n')[0]).not.toContain('idColumn');
  });
});

describe('SessionOptions.idColumn', () => {
  const pool = {
    texts: ['a', 'b', 'c'],
    ids: ['x1', 'x2', 'x3'],
    classes: ['no', 'yes'],
    modelScores: [
      [1, 0],
      [0, 1],
      [2, 0],
    ],
  };

  it('is stored in the header and read back, and written only when given', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'at-id-column-'));
    const path = join(dir, 'keyed.session');
    const created = await ActiveTestingSession.create(path, { ...pool, idColumn: 'key' });
    expect(created.settings.idColumn).toBe('key');
    await created.close();
    const reopened = await ActiveTestingSession.open(path, { readOnly: true });
    expect(reopened.settings.idColumn).toBe('key');
    await reopened.close();
    for (const idColumn of [undefined, null]) {
      const without = join(dir, `without-${String(idColumn)}.session`);
      await (await ActiveTestingSession.create(without, { ...pool, idColumn })).close();
      expect(readFileSync(without, 'utf8').split('\n')[0]).not.toContain('idColumn');
      const opened = await ActiveTestingSession.open(without, { readOnly: true });
      expect(opened.settings.idColumn).toBeUndefined();
      await opened.close();
    }
  });

  it('is refused when empty, not a string or without ids', async () => {
    await expect(ActiveTestingSession.create(null, { ...pool, idColumn: '' })).rejects.toThrow(
      new InputError({ argument: 'idColumn', expected: 'the name of the column the ids were read from, or null', received: '' }),
    );
    await expect(ActiveTestingSession.create(null, { ...pool, idColumn: 3 as never })).rejects.toMatchObject({
      name: 'InputError',
      argument: 'idColumn',
    });
    await expect(ActiveTestingSession.create(null, { ...pool, ids: undefined, idColumn: 'key' })).rejects.toThrow(
      new InputError({ argument: 'idColumn', expected: 'ids as well, read from that column' }),
    );
  });

  it('refuses a header whose idColumn is damaged, naming the field', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'at-id-column-'));
    const path = join(dir, 'damaged.session');
    await (await ActiveTestingSession.create(path, { ...pool, idColumn: 'key' })).close();
    const [header, ...records] = readFileSync(path, 'utf8').split('\n');
    const { checksum: _, ...fields } = JSON.parse(header!) as Record<string, unknown>;
    const json = JSON.stringify({ ...fields, idColumn: '' });
    const digest = createHash('sha256').update(json).digest('hex');
    writeFileSync(path, [`${json.slice(0, -1)},"checksum":"sha256:${digest}"}`, ...records].join('\n'));
    const opening = ActiveTestingSession.open(path);
    await expect(opening).rejects.toThrow(FileFormatError);
    await expect(opening).rejects.toThrow(/damaged session header \(idColumn is not a non-empty string\)/);
  });
});
