import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { openOrCreateSession } from '../../src/cli/label.js';
import { InputError } from '../../src/errors.js';
import { writeNpy } from '../../src/io/npy.js';
import { FileJournal } from '../../src/session/journal.js';
import { CLASSES, CLI, createArgs, writePoolFiles } from './cli-pool.js';

const run = (args: string[]) => spawnSync(process.execPath, [...CLI, ...args], { encoding: 'utf8' });

describe('active-testing label: scripted use and bad input', () => {
  it('creates, labels from an answers file with skips, resumes, and prints the closing summary', async () => {
    const files = await writePoolFiles(80, 3);
    const session = join(files.dir, 'a.session');
    const answers = join(files.dir, 'answers.tsv');
    const answer = (i: number) => (i % 4 === 0 ? 'skip' : String(files.pool.labels[i]));
    writeFileSync(answers, ['id\tlabel', ...files.ids.map((id, i) => `${id}\t${answer(i)}`)].join('\n'));
    const first = run([...createArgs(files, session, 2), '--answers', answers, '--max-labels', '10', '--loss', 'brier']);
    expect(first.status).toBe(0);
    expect(first.stdout.match(/^labelled /gm)).toHaveLength(10);
    // Said after the last label, before the summary, as the interactive screen says it.
    expect(first.stdout).toMatch(/^labelled [^\n]*\nStopped: 10 labels reached --max-labels 10\.\nLabels: 10 in the estimate/m);
    const skips = first.stdout.match(/^skipped /gm)?.length ?? 0;
    expect(skips).toBeGreaterThan(0);
    expect(first.stdout).toContain(
      `Labels: 10 in the estimate (10 recorded); the estimate covers ${80 - skips} of 80 items (${skips} skipped)`,
    );
    expect(first.stdout).toMatch(
      /Risk \(brier\): \d\.\d{4} {2}anytime-valid 95% \[-?\d\.\d{4}, \d\.\d{4}\] {2}fixed-budget 95% \[-?\d\.\d{4}, \d\.\d{4}\] {2}bootstrap \(approximate\) 95% interval \[-?\d\.\d{4}, \d\.\d{4}\]/,
    );
    expect(first.stdout).toContain(
      'The anytime-valid intervals hold however and whenever you stopped; the fixed-budget ones only if this label count was chosen before labelling (not a stop on --target-half-width or a quit partway); the bootstrap is an approximation with no guarantee.',
    );
    expect(first.stdout).toMatch(/Random labelling would need about \d+ labels for the same variance \(the approximate bootstrap's\)\./);
    expect(first.stdout).toMatch(
      /Variance ÷ random labelling's \(est\.\): \d+\.\d{2} \(below 1 favours active testing\); verdict: (helping|hurting|no evidence yet)\./,
    );
    // With a comparison target, after its intervals too: the line speaks of all of them.
    const compared = join(files.dir, 'compared.session');
    const withComparison = run([
      ...createArgs(files, compared, 2),
      '--comparison-scores',
      files.surrogateScores,
      '--answers',
      answers,
      '--max-labels',
      '10',
    ]);
    expect(withComparison.status).toBe(0);
    const summaryLines = withComparison.stdout.split('\n');
    const guarantees = summaryLines.findIndex((line) => line.startsWith('The anytime-valid intervals hold'));
    const difference = summaryLines.findIndex((line) => line.startsWith('Difference in risk (target − comparison):'));
    expect(difference).toBeGreaterThan(0);
    expect(guarantees).toBe(difference + 1);
    const again = run(['label', '--session', session, '--answers', answers, '--max-labels', '15']);
    expect(again.status).toBe(0);
    expect(again.stdout.match(/^labelled /gm)).toHaveLength(5);
    expect(again.stdout).toContain('Stopped: 15 labels reached --max-labels 15.\n');
    expect(again.stdout).toMatch(/Labels: 15 in the estimate \(15 recorded\); the estimate covers \d+ of 80 items \(\d+ skipped\)/);
  });

  it('reads --answers - from stdin as TSV, CSV or JSON Lines, told by the text, as it reads the same file', async () => {
    const files = await writePoolFiles(40, 5);
    const rows = files.ids.map((id, i) => [id, CLASSES[files.pool.labels[i]!]!]);
    const tsv = ['id\tlabel', ...rows.map((row) => row.join('\t'))].join('\n');
    const answersFile = join(files.dir, 'answers.tsv');
    writeFileSync(answersFile, tsv);
    const fromFile = run([...createArgs(files, join(files.dir, 'file.session'), 0), '--answers', answersFile, '--max-labels', '6']);
    expect(fromFile.status, fromFile.stderr).toBe(0);
    const piped = {
      tsv,
      csv: ['id,label', ...rows.map((row) => row.join(','))].join('\n'),
      jsonl: rows.map(([id, label]) => JSON.stringify({ id, label })).join('\n'),
    };
    for (const [format, input] of Object.entries(piped)) {
      const session = join(files.dir, `${format}.session`);
      const fromStdin = spawnSync(process.execPath, [...CLI, ...createArgs(files, session, 0), '--answers', '-', '--max-labels', '6'], {
        encoding: 'utf8',
        input,
      });
      expect(fromStdin.status, `${format}: ${fromStdin.stderr}`).toBe(0);
      expect(fromStdin.stdout, format).toBe(fromFile.stdout);
    }
    const bad = spawnSync(process.execPath, [...CLI, ...createArgs(files, join(files.dir, 'bad.session'), 0), '--answers', '-'], {
      encoding: 'utf8',
      input: `id\tlabel\n${files.ids[0]}\tmaybe\n`,
    });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/^active-testing label: stdin: line 2: answer "maybe" is not a class \([^\n]*\)[^\n]*\n$/);
    expect(existsSync(join(files.dir, 'bad.session'))).toBe(false);
  });

  it("says in one line that a session does not read the pool file's label column, and how to label from it", async () => {
    const files = await writePoolFiles(20, 1);
    const exported = join(files.dir, 'tasks.json');
    const created = run([...createArgs(files, join(files.dir, 'a.session'), 0), '--export', 'label-studio', exported]);
    expect(created.status).toBe(0);
    expect(created.stderr).toBe(
      `warning: ${files.data} has a "label" column, which a session does not read (the annotators give its labels); ` +
        `to label the session from it, run active-testing label --session ${join(files.dir, 'a.session')} --answers ${files.data}\n`,
    );
    // As the warning says: the pool file as --answers labels the session from that column, and no warning is given.
    const answered = run([...createArgs(files, join(files.dir, 'b.session'), 0), '--answers', files.data, '--max-labels', '3']);
    expect(answered.status).toBe(0);
    expect(answered.stderr).toBe('');
    const labelled = [...answered.stdout.matchAll(/^labelled (\S+) (\S+)$/gm)];
    expect(labelled).toHaveLength(3);
    for (const [, id, label] of labelled) expect(label).toBe(CLASSES[files.pool.labels[files.ids.indexOf(id!)]!]);
  });

  it('takes --planned-labels above the pool as the pool size, with a warning, and resumes with the same flag', async () => {
    const files = await writePoolFiles(40, 5);
    const session = join(files.dir, 'planned.session');
    const answers = join(files.dir, 'answers.tsv');
    writeFileSync(answers, ['id\tlabel', ...files.ids.map((id, i) => `${id}\t${files.pool.labels[i]}`)].join('\n'));
    const planned = [...createArgs(files, session, 3), '--planned-labels', '400', '--answers', answers];
    const created = run([...planned, '--max-labels', '4']);
    expect(created.status, created.stderr).toBe(0);
    expect(created.stderr).toBe("warning: --planned-labels: 400 is more than the pool's 40 items: the sequences are tuned for all 40\n");
    const resumed = run([...planned, '--max-labels', '6']);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stderr).toBe('');
    expect([...resumed.stdout.matchAll(/^labelled /gm)]).toHaveLength(2);
  });

  it('resumes with the options it was created with, and refuses others, naming the flag, before recording anything', async () => {
    const files = await writePoolFiles(40, 5);
    const session = join(files.dir, 'r.session');
    const answers = join(files.dir, 'answers.tsv');
    writeFileSync(answers, ['id\tlabel', ...files.ids.map((id, i) => `${id}\t${files.pool.labels[i]}`)].join('\n'));
    expect(run([...createArgs(files, session, 3), '--answers', answers, '--max-labels', '4']).status).toBe(0);
    const before = readFileSync(session);
    const swapped = createArgs(files, session, 3).map((a) => (a === files.modelScores ? files.surrogateScores : a));
    const other = (args: string[]) => run([...args, '--answers', answers, '--max-labels', '8']);
    const cases: [string[], RegExp][] = [
      [
        swapped,
        /^active-testing label: --model-scores: expected the scores stored in the session file, as .*r\.session was created with .* got ".*g\.npy" \(other scores\)$/,
      ],
      [createArgs(files, session, 4), /^active-testing label: --seed: expected 3, as .* got 4$/],
      [
        ['label', '--session', session, '--comparison-scores', files.modelScores],
        /^active-testing label: --comparison-scores: expected no scores \(the session was created without them\), as .* got ".*f\.npy"$/,
      ],
      [
        ['label', '--session', session, '--loss', 'zero-one'],
        /^active-testing label: --loss: expected "cross-entropy", as .* got "zero-one"$/,
      ],
      [
        ['label', '--session', session, '--acquisition', 'iid'],
        /^active-testing label: --acquisition: expected "adaptive", as .* got "iid"$/,
      ],
      [['label', '--session', session, '--planned-labels', '20'], /^active-testing label: --planned-labels: expected none, as .* got 20$/],
      [
        ['label', '--session', session, '--classes', 'positive,negative'],
        /^active-testing label: --classes: expected the classes negative,positive, as .* got "positive,negative"$/,
      ],
      [
        ['label', '--session', session, '--data', files.data, '--text-column', 'id'],
        /^active-testing label: --data: expected the pool of 40 items .* another id or text at row 0"$/,
      ],
    ];
    for (const [args, message] of cases) {
      const refused = other(args);
      expect(refused.status).toBe(1);
      expect(refused.stderr.trim()).toMatch(message);
      expect(refused.stderr.trim().split('\n')).toHaveLength(1);
      expect(refused.stdout).toBe('');
      expect(readFileSync(session)).toEqual(before);
    }
    // The same command that created it resumes it.
    const resumed = other([...createArgs(files, session, 3), '--acquisition', 'adaptive', '--loss', 'cross-entropy']);
    expect(resumed.status).toBe(0);
    expect(resumed.stderr).toBe('');
    expect(resumed.stdout.match(/^labelled /gm)).toHaveLength(4);
  });

  // The session was opened for writing, which moves a torn last line aside, before the answers, an
  // import file and the pool options were checked: a refused command had rewritten the file and warned of it.
  it('refuses bad answers, a bad import or other settings on resume before it repairs the file: the file is left as it was', async () => {
    const files = await writePoolFiles(40, 4);
    const session = join(files.dir, 'torn.session');
    const answers = join(files.dir, 'answers.tsv');
    writeFileSync(answers, ['id\tlabel', ...files.ids.map((id, i) => `${id}\t${CLASSES[files.pool.labels[i]]}`)].join('\n'));
    expect(run([...createArgs(files, session, 1), '--answers', answers, '--max-labels', '5']).status).toBe(0);
    writeFileSync(session, readFileSync(session, 'utf8') + '{"s":11,"e":"pro');
    const torn = readFileSync(session);
    const unknownId = join(files.dir, 'unknown.tsv');
    writeFileSync(unknownId, 'id\tlabel\nnot-an-id\tpositive\n');
    const taskWithoutItem = join(files.dir, 'export.json');
    writeFileSync(taskWithoutItem, '[{"data": {}}]');
    const refusals = [
      [
        ['label', '--session', session, '--answers', unknownId],
        `active-testing label: ${unknownId}: line 2: item id "not-an-id" is not in the pool (--answers)\n`,
      ],
      [
        ['label', '--session', session, '--import', 'label-studio', taskWithoutItem],
        `active-testing label: --import: ${taskWithoutItem}: task 0: no data.item (export the tasks with \`active-testing label --export label-studio\`)\n`,
      ],
      [
        [...createArgs(files, session, 2), '--answers', answers],
        `active-testing label: --seed: expected 1, as ${session} was created with (a session keeps its pool and settings: ` +
          'leave --seed out to resume it, or give another --session to start a new one), got 2\n',
      ],
    ] as const;
    for (const [args, stderr] of refusals) {
      const refused = run([...args]);
      expect(refused.status).toBe(1);
      expect(refused.stderr).toBe(stderr);
      expect(readFileSync(session)).toEqual(torn);
      expect(readdirSync(files.dir).filter((name) => name.startsWith('torn.session'))).toEqual(['torn.session']);
    }
    const resumed = run(['label', '--session', session, '--answers', answers, '--max-labels', '6']);
    expect(resumed.status).toBe(0);
    expect(resumed.stderr).toContain(`it was moved to ${session}.torn-1, and the 10 complete records are kept`);
    expect(readFileSync(`${session}.torn-1`, 'utf8')).toBe('{"s":11,"e":"pro');
  });

  it('compares the scores given to resume with those of the open session, reading the file once', async () => {
    const files = await writePoolFiles(30, 6);
    const session = join(files.dir, 'once.session');
    const answers = join(files.dir, 'answers.tsv');
    writeFileSync(answers, ['id\tlabel', ...files.ids.map((id, i) => `${id}\t${files.pool.labels[i]}`)].join('\n'));
    expect(run([...createArgs(files, session, 1), '--answers', answers, '--max-labels', '3']).status).toBe(0);
    const read = vi.spyOn(FileJournal, 'read');
    try {
      const given = { session, modelScores: files.modelScores, surrogateScores: files.surrogateScores };
      const resumed = await openOrCreateSession(session, given, 'label');
      expect(read).toHaveBeenCalledTimes(1);
      expect(resumed.estimate().recorded).toBe(3);
      await resumed.close();
      const swapped = { session, modelScores: files.surrogateScores };
      const refused = await openOrCreateSession(session, swapped, 'label').catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(InputError);
      expect(refused).toMatchObject({ argument: '--model-scores' });
      expect((refused as InputError).message).toMatch(`, got "${files.surrogateScores}" (other scores)`);
      expect(read).toHaveBeenCalledTimes(2);
    } finally {
      read.mockRestore();
    }
    expect(existsSync(`${session}.lock`)).toBe(false);
  });

  it('resumes an iid session with the clip it was created with, or any other: iid ignores it, and its file records 0', async () => {
    const files = await writePoolFiles(30, 8);
    const session = join(files.dir, 'iid.session');
    const create = { session, data: files.data, classes: CLASSES, modelScores: files.modelScores, acquisition: 'iid', clip: 0.3 };
    const created = await openOrCreateSession(session, create, 'label');
    expect(created.settings.clip).toBe(0);
    await created.close();
    for (const clip of [0.3, 0.5]) {
      const resumed = await openOrCreateSession(session, { ...create, clip }, 'label');
      expect(resumed.settings).toMatchObject({ acquisition: 'iid', clip: 0 });
      await resumed.close();
    }
  });

  it('labelled to the end, says why there is no variance ratio instead of printing NaN', async () => {
    // Random labelling's variance is 0 once every item is labelled, so the ratio is 0/0.
    const files = await writePoolFiles(12, 1);
    const answers = join(files.dir, 'answers.tsv');
    writeFileSync(answers, ['id\tlabel', ...files.ids.map((id, i) => `${id}\t${files.pool.labels[i]}`)].join('\n'));
    const all = run([...createArgs(files, join(files.dir, 'all.session'), 0), '--answers', answers, '--max-labels', '12']);
    expect(all.status).toBe(0);
    expect(all.stdout).toContain('Labels: 12 in the estimate (12 recorded); the estimate covers 12 items');
    expect(all.stdout).toMatch(/^Variance ÷ random labelling's \(est\.\): – \(not estimable from these labels\); verdict: /m);
    expect(all.stdout).not.toContain('NaN');
  });

  it('says to read the interval when the estimate lies outside the confidence sequence', async () => {
    // On this pool, random labelling with seed 0 has its first 25 estimates below the sequence; with seed 2 none of its first 30.
    const files = await writePoolFiles(200, 0);
    const answers = join(files.dir, 'answers.tsv');
    writeFileSync(answers, ['id\tlabel', ...files.ids.map((id, i) => `${id}\t${files.pool.labels[i]}`)].join('\n'));
    const note = /^The estimate lies outside the interval: .* Read the interval; it holds at 95%\.$/m;
    const labelTen = (name: string, seed: number) =>
      run([...createArgs(files, join(files.dir, name), seed), '--acquisition', 'iid', '--answers', answers, '--max-labels', '10']);
    const below = labelTen('below.session', 0);
    expect(below.status).toBe(0);
    const [, value, lower] = /^Risk \(cross-entropy\): (\d\.\d{4}) {2}anytime-valid 95% \[(\d\.\d{4}),/m.exec(below.stdout)!;
    expect(Number(value)).toBeLessThan(Number(lower));
    expect(below.stdout).toMatch(note);
    const inside = labelTen('inside.session', 2);
    expect(inside.status).toBe(0);
    expect(inside.stdout).not.toMatch(note);
  });

  it('exits 2 on usage errors and 1 on bad input, leaving no session behind', async () => {
    const files = await writePoolFiles(20, 4);
    const session = join(files.dir, 'b.session');
    const missing = run(['label', '--session', session, '--answers', files.data]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/does not exist: give --data, --classes and --model-scores/);
    // Without --answers and with stdin not a terminal, the missing file is still what is reported.
    const missingInteractive = run(['label', '--session', session]);
    expect(missingInteractive.status).toBe(2);
    expect(missingInteractive.stderr.split('\n')[0]).toBe(
      `active-testing label: ${session} does not exist: give --data, --classes and --model-scores to create it`,
    );
    expect(run(['label', '--session', session, '--answers', files.data, '--data', files.data]).stderr).toMatch(
      /--classes and --model-scores are required/,
    );
    const wrong = join(files.dir, 'wrong.npy');
    await writeNpy(wrong, { data: new Float64Array(30), shape: [10, 3], dtype: 'f8' });
    const mismatch = run([...createArgs(files, session, 0).map((a) => (a === files.modelScores ? wrong : a)), '--answers', files.data]);
    expect(mismatch.status).toBe(1);
    // The counts in the text name the flag too, as the message's start does.
    expect(mismatch.stderr).toBe(
      'active-testing label: --model-scores: expected 20×2 scores (one row per text, one column per class; texts: 20, --model-scores: 10), got the shape 10×3\n',
    );
    const badClip = run([...createArgs(files, session, 0), '--clip', '1.5', '--answers', files.data]);
    expect(badClip.status).toBe(2);
    expect(badClip.stderr).toMatch(/--clip: expected a clip fraction in \(0, 1\), got "1.5"/);
    const zeroLabels = run([...createArgs(files, session, 0), '--max-labels', '0', '--answers', files.data]);
    expect(zeroLabels.status).toBe(2);
    expect(zeroLabels.stderr).toMatch(/--max-labels: expected an integer ≥ 1, got "0"/);
    const ceLoss = run([...createArgs(files, session, 0), '--loss', 'ce', '--answers', files.data]);
    expect(ceLoss.status).toBe(2);
    expect(ceLoss.stderr).toMatch(/--loss: expected one of cross-entropy \| zero-one \| brier \(did you mean cross-entropy\?\), got "ce"/);
    // clip 0 would let a zero acquisition value hide items for good (LURE and the sequence need q > 0).
    const zeroClip = run([...createArgs(files, session, 0), '--clip', '0', '--answers', files.data]);
    expect(zeroClip.status).toBe(1);
    expect(zeroClip.stderr.trim().split('\n')).toHaveLength(1);
    expect(zeroClip.stderr).toMatch(/clip: expected a clip fraction in \(0, 1\): every item needs a proposal probability above 0, got 0$/m);
    // A negative clip breaks the same rule: bad input too, one line, exit 1.
    const negativeClip = run([...createArgs(files, session, 0), '--clip=-0.1', '--answers', files.data]);
    expect(negativeClip.status).toBe(1);
    expect(negativeClip.stderr).toBe(
      'active-testing label: --clip: expected a clip fraction in (0, 1): every item needs a proposal probability above 0, got -0.1\n',
    );
    expect(existsSync(session)).toBe(false);
    expect(readdirSync(files.dir).filter((f) => f.startsWith('b.session'))).toEqual([]);
  });

  it('stops at an item the answers file has no row for, saying how to go on', async () => {
    const files = await writePoolFiles(20, 4);
    const session = join(files.dir, 'partial.session');
    const answers = join(files.dir, 'partial.tsv');
    writeFileSync(answers, 'id\tlabel\n');
    const stopped = run([...createArgs(files, session, 0), '--answers', answers, '--max-labels', '3']);
    expect(stopped.status).toBe(1);
    const id = /^active-testing label: no answer for item (\S+);/.exec(stopped.stderr)?.[1];
    expect(files.ids).toContain(id);
    expect(stopped.stderr).toBe(
      `active-testing label: no answer for item ${id}; stopping (the session is saved): add a row for ${id} to ${answers} ` +
        'and run again, or label it interactively (without --answers)\n',
    );
  });

  it('refuses a pool row without its text or id, naming the line and column, before creating the session', async () => {
    const files = await writePoolFiles(3, 6);
    const session = join(files.dir, 'j.session');
    const jsonl = join(files.dir, 'pool.jsonl');
    const rows = files.ids.map((id, i) => ({ id, sentence: files.texts[i] }));
    const cases: Array<[unknown[], string]> = [
      [[rows[0], { id: files.ids[1] }, rows[2]], 'line 2, column "sentence": expected a non-empty text, got null'],
      [
        [rows[0], rows[1], { sentence: files.texts[2] }],
        'line 3, column "id": expected a non-empty item id without tabs or line breaks, got null',
      ],
      [[rows[0], { ...rows[1], sentence: ' ' }, rows[2]], 'line 2, column "sentence": expected a non-empty text, got " "'],
      [
        [rows[0], rows[1], { ...rows[2], id: 'a\tb' }],
        'line 3, column "id": expected a non-empty item id without tabs or line breaks, got "a\\tb"',
      ],
      [
        [{ ...rows[0], id: 'a\nb' }, rows[1], rows[2]],
        'line 1, column "id": expected a non-empty item id without tabs or line breaks, got "a\\nb"',
      ],
    ];
    for (const [lines, message] of cases) {
      writeFileSync(jsonl, lines.map((row) => JSON.stringify(row)).join('\n') + '\n');
      const created = run([...createArgs(files, session, 0).map((a) => (a === files.data ? jsonl : a)), '--answers', files.data]);
      expect(created.status).toBe(1);
      expect(created.stderr).toBe(`active-testing label: --data: ${jsonl}: ${message}\n`);
      expect(existsSync(session)).toBe(false);
    }
  });

  it('refuses a pool file without items, naming it, before reading the answers or creating the session', async () => {
    const files = await writePoolFiles(3, 9);
    const session = join(files.dir, 'e.session');
    const headerOnly = join(files.dir, 'header-only.tsv');
    writeFileSync(headerOnly, 'id\tsentence\r\n');
    const empty = join(files.dir, 'empty.jsonl');
    writeFileSync(empty, '');
    for (const pool of [headerOnly, empty]) {
      const created = run([...createArgs(files, session, 0).map((a) => (a === files.data ? pool : a)), '--answers', files.data]);
      expect(created.status).toBe(1);
      expect(created.stderr).toBe(
        `active-testing label: --data: ${pool}: holds no items; expected one row per item of the pool, one per row of --model-scores\n`,
      );
      expect(existsSync(session)).toBe(false);
    }
  });

  // At 1e307 the anytime and fixed intervals were NaN (the proposal failed on a NaN q after the file
  // was written), at 1e300 the bootstrap interval unbounded.
  it('refuses target scores whose losses overflow the error bars in one line, writing no session', async () => {
    const files = await writePoolFiles(50, 3);
    const session = join(files.dir, 'huge.session');
    const answers = join(files.dir, 'answers.tsv');
    writeFileSync(answers, ['id\tlabel', ...files.ids.map((id, i) => `${id}\t${files.pool.labels[i]}`)].join('\n'));
    for (const logit of [1e307, 1e300]) {
      const scores = Float64Array.from(files.pool.modelScores.data);
      for (let i = 0; i < 50; i++) scores[i * 2 + files.pool.labels[i]] = -logit;
      await writeNpy(files.modelScores, { data: scores, shape: [50, 2], dtype: 'f8' }, { force: true });
      const created = run([...createArgs(files, session, 2), '--answers', answers, '--max-labels', '10']);
      expect(created.status).toBe(1);
      expect(created.stdout).toBe('');
      expect(created.stderr).toMatch(
        /^active-testing label: --model-scores \(row 0\): expected scores whose loss bounds are finite and at most 2\^480\/√N = 4\.41e\+143 for N = 50 \(logits of one row less than that far apart\), got a cross-entropy upper bound of 1\.0\d*e\+30\d\n$/,
      );
      expect(existsSync(session)).toBe(false);
    }
  });

  // The class named "skip" was refused only by the session's creation, after the pool, the scores
  // and the answers were read: a missing scores file, or an answer the other classes lack (listed
  // with "skip" among the classes), was told instead.
  it('refuses a class named skip before reading the pool, the scores or the answers', async () => {
    const files = await writePoolFiles(3, 5);
    const session = join(files.dir, 'skip.session');
    const answers = join(files.dir, 'answers.tsv');
    writeFileSync(answers, 'id\tlabel\ns0\tpositive\n');
    const args = createArgs(files, session, 0).map((a) =>
      a === CLASSES.join(',') ? 'negative, Skip ' : a === files.modelScores ? join(files.dir, 'none.npy') : a,
    );
    const created = run([...args, '--answers', answers]);
    expect(created.status).toBe(1);
    expect(created.stderr).toBe(
      'active-testing label: --classes (row 1): expected class names other than "skip" (the word for a skipped item in exported labels and --answers files), got "Skip"\n',
    );
    expect(readdirSync(files.dir).filter((name) => name.startsWith('skip.session'))).toEqual([]);
  });

  it('refuses a new session in a missing folder or inside a file, naming --session, before reading the pool or the scores', async () => {
    const files = await writePoolFiles(3, 4);
    const missingScores = join(files.dir, 'not-written.npy');
    const aFile = join(files.dir, 'a-file');
    writeFileSync(aFile, 'x');
    const missingFolder = join(files.dir, 'no-such-folder');
    // One expectation for each case, naming the path given: a user who follows one is not refused by another.
    const expected = 'a file in an existing folder that can be written (the session file is created, not its folder)';
    const cases = [
      [join(missingFolder, 's.session'), `got "${join(missingFolder, 's.session')}" (${missingFolder} does not exist)`],
      [join(aFile, 's.session'), `got "${join(aFile, 's.session')}" (${aFile} is a file)`],
      [join(aFile, 'sub', 's.session'), `got "${join(aFile, 'sub', 's.session')}" (${join(aFile, 'sub')} lies inside a file)`],
    ] as const;
    for (const command of ['label', 'serve']) {
      for (const [session, received] of cases) {
        // The scores file does not exist: the session's folder is judged before it is looked for.
        const args = createArgs(files, session, 0).map((a) => (a === files.modelScores ? missingScores : a));
        const refused = run([command, ...args.slice(1), ...(command === 'label' ? ['--answers', files.data] : ['--port', '0'])]);
        expect(refused.status).toBe(1);
        expect(refused.stderr).toBe(`active-testing ${command}: --session: expected ${expected}, ${received}\n`);
        expect(refused.stdout).toBe('');
      }
    }
    expect(existsSync(missingFolder)).toBe(false);
    expect(readdirSync(files.dir).sort()).toEqual(['a-file', 'f.npy', 'g.npy', 'pool.tsv']);
  });

  it('refuses a repeated item id with both of its lines, before creating the session', async () => {
    const files = await writePoolFiles(3, 7);
    const session = join(files.dir, 'd.session');
    const tsv = join(files.dir, 'dup.tsv');
    writeFileSync(tsv, `id\tsentence\nx\tone\ny\ttwo\nx\tthree\n`);
    const created = run([...createArgs(files, session, 0).map((a) => (a === files.data ? tsv : a)), '--answers', files.data]);
    expect(created.status).toBe(1);
    expect(created.stderr).toBe(
      `active-testing label: --data: ${tsv}: line 4, column "id": item id "x" is also on line 2; ids must be unique\n`,
    );
    expect(existsSync(session)).toBe(false);
  });

  it('names the flag that chooses a column the pool file lacks, before creating the session', async () => {
    const files = await writePoolFiles(3, 7);
    const session = join(files.dir, 't.session');
    const tsv = join(files.dir, 'text-column.tsv');
    writeFileSync(tsv, `text\tlabel\none\t0\ntwo\t1\nthree\t0\n`);
    const created = run([...createArgs(files, session, 0).map((a) => (a === files.data ? tsv : a)), '--answers', files.data]);
    expect(created.status).toBe(1);
    // The default "sentence" is nowhere on the command line: the flag says what to pass.
    expect(created.stderr).toBe(`active-testing label: --text-column: ${tsv}: no column "sentence" (columns: text, label)\n`);
    const byId = run([...createArgs(files, session, 0), '--id-column', 'key', '--answers', files.data]);
    expect(byId.status).toBe(1);
    expect(byId.stderr).toMatch(/^active-testing label: --id-column: \S+pool\.tsv: no column "key" \(columns: /);
    expect(existsSync(session)).toBe(false);
  });

  it('reads answers as class names when the classes are named by integers', async () => {
    const files = await writePoolFiles(3, 8);
    const session = join(files.dir, 'stars.session');
    const scores = join(files.dir, 'k3.npy');
    await writeNpy(scores, { data: new Float64Array(9).fill(1 / 3), shape: [3, 3], dtype: 'f8' });
    const args = ['label', '--session', session, '--data', files.data, '--classes', '1,2,3', '--model-scores', scores];
    const answers = join(files.dir, 'stars.tsv');
    writeFileSync(answers, `id\tlabel\n${files.ids[0]}\t0\n${files.ids[1]}\t1\n${files.ids[2]}\t3\n`);
    const indices = run([...args, '--answers', answers]);
    expect(indices.status).toBe(1);
    expect(indices.stderr).toBe(
      `active-testing label: ${answers}: line 2: answer "0" is not a class (1, 2, 3) or skip (--answers; integer answers are class names here, not indices)\n`,
    );
    expect(existsSync(session)).toBe(false);
    writeFileSync(answers, `id\tlabel\n${files.ids[0]}\t2\n${files.ids[1]}\t1\n${files.ids[2]}\t3\n`);
    expect(run([...args, '--answers', answers]).status).toBe(0);
    const exported = join(files.dir, 'stars-labels.tsv');
    expect(run(['label', '--session', session, '--export-labels', exported]).status).toBe(0);
    const labels = readFileSync(exported, 'utf8').trim().split('\n').slice(1).sort();
    expect(labels).toEqual([`${files.ids[0]}\t2`, `${files.ids[1]}\t1`, `${files.ids[2]}\t3`].sort());
  });

  it('reads an answer written as a whole number with a decimal point as that index, as pandas writes a float column', async () => {
    const files = await writePoolFiles(6, 9);
    const session = join(files.dir, 'float.session');
    const answers = join(files.dir, 'float.tsv');
    writeFileSync(answers, ['id\tlabel', ...files.ids.map((id, i) => `${id}\t${files.pool.labels[i]}.0`)].join('\n'));
    expect(run([...createArgs(files, session, 0), '--answers', answers]).status).toBe(0);
    const exported = join(files.dir, 'float-labels.tsv');
    expect(run(['label', '--session', session, '--export-labels', exported]).status).toBe(0);
    const rows = readFileSync(exported, 'utf8').trim().split('\n').slice(1).sort();
    expect(rows).toEqual(files.ids.map((id, i) => `${id}\t${CLASSES[files.pool.labels[i]!]}`).sort());

    // Classes named by integers are matched by value: "2.0" names the class "2" (not the index 2, class "3").
    const stars = join(files.dir, 'stars.session');
    const scores = join(files.dir, 'k3.npy');
    await writeNpy(scores, { data: new Float64Array(18).fill(1 / 3), shape: [6, 3], dtype: 'f8' });
    writeFileSync(answers, ['id\tlabel', ...files.ids.map((id, i) => `${id}\t${(i % 3) + 1}.0`)].join('\n'));
    const byValue = run([
      'label',
      '--session',
      stars,
      '--data',
      files.data,
      '--classes',
      '1,2,3',
      '--model-scores',
      scores,
      '--answers',
      answers,
    ]);
    expect(byValue.status, byValue.stderr).toBe(0);
    const starLabels = join(files.dir, 'stars-labels.tsv');
    expect(run(['label', '--session', stars, '--export-labels', starLabels]).status).toBe(0);
    expect(readFileSync(starLabels, 'utf8').trim().split('\n').slice(1).sort()).toEqual(
      files.ids.map((id, i) => `${id}\t${(i % 3) + 1}`).sort(),
    );
  });

  it('says one label in the singular when exporting it', async () => {
    const files = await writePoolFiles(20, 8);
    const session = join(files.dir, 'one.session');
    const answers = join(files.dir, 'answers.tsv');
    writeFileSync(answers, ['id\tlabel', ...files.ids.map((id, i) => `${id}\t${CLASSES[files.pool.labels[i]]}`)].join('\n'));
    expect(run([...createArgs(files, session, 1), '--answers', answers, '--max-labels', '1']).status).toBe(0);
    const exported = join(files.dir, 'one-labels.tsv');
    const exporting = run(['label', '--session', session, '--export-labels', exported]);
    expect(exporting.stdout).toBe(`exported 1 label and 0 skips from ${session} to ${exported}\n`);
  });

  it('reads answers in any case as the class they name, unless two classes differ only in case', async () => {
    const files = await writePoolFiles(20, 6);
    const session = join(files.dir, 'case.session');
    const answers = join(files.dir, 'case.tsv');
    const cased = (name: string, i: number) =>
      i % 3 === 0 ? name.toUpperCase() : i % 3 === 1 ? ` ${name[0]!.toUpperCase()}${name.slice(1)} ` : name;
    writeFileSync(answers, ['id\tlabel', ...files.ids.map((id, i) => `${id}\t${cased(CLASSES[files.pool.labels[i]!]!, i)}`)].join('\n'));
    expect(run([...createArgs(files, session, 0), '--answers', answers, '--max-labels', '12']).status).toBe(0);
    const exported = join(files.dir, 'case-labels.tsv');
    expect(run(['label', '--session', session, '--export-labels', exported]).status).toBe(0);
    const rows = readFileSync(exported, 'utf8').trim().split('\n').slice(1);
    expect(rows).toHaveLength(12);
    for (const row of rows) {
      const [id, label] = row.split('\t');
      expect(label).toBe(CLASSES[files.pool.labels[files.ids.indexOf(id!)]!]);
    }

    // Classes `a` and `A`: an answer names one of them exactly.
    const scores = join(files.dir, 'ab.npy');
    await writeNpy(scores, { data: new Float64Array(40), shape: [20, 2], dtype: 'f8' });
    const ab = join(files.dir, 'ab.session');
    writeFileSync(answers, ['id\tlabel', ...files.ids.map((id, i) => `${id}\t${i % 2 === 0 ? 'A' : 'a'}`)].join('\n'));
    const create = ['label', '--session', ab, '--data', files.data, '--classes', 'a,A', '--model-scores', scores];
    expect(run([...create, '--answers', answers, '--max-labels', '6']).status).toBe(0);
    const both = join(files.dir, 'ab-labels.tsv');
    expect(run(['label', '--session', ab, '--export-labels', both]).status).toBe(0);
    for (const row of readFileSync(both, 'utf8').trim().split('\n').slice(1)) {
      const [id, label] = row.split('\t');
      expect(label).toBe(files.ids.indexOf(id!) % 2 === 0 ? 'A' : 'a');
    }
  });

  it('refuses an answers file whose ids are in a column not named id, before creating the session', async () => {
    const files = await writePoolFiles(12, 2);
    const answerOf = (i: number) => CLASSES[files.pool.labels[i]!]!;
    const write = (name: string, header: string, key: (i: number) => string, order: readonly number[]) => {
      const path = join(files.dir, name);
      writeFileSync(path, [header, ...order.map((i) => `${key(i)},${answerOf(i)}`)].join('\n'));
      return path;
    };
    const inOrder = Array.from({ length: 12 }, (_, i) => i);
    const shuffled = [0, 5, ...inOrder.filter((i) => i !== 0 && i !== 5)];
    const session = join(files.dir, 'a.session');
    // A pool numbered by row, and the row numbers in another order: one id mistyped among them changes nothing.
    const byRow = join(files.dir, 'by-row.tsv');
    const datasetIndex = (i: number) => String(100 + ((i * 7) % 12));
    writeFileSync(
      byRow,
      ['sentence\tlabel\tidx', ...inOrder.map((i) => `${files.texts[i]}\t${answerOf(i)}\t${datasetIndex(i)}`)].join('\n'),
    );
    const args = createArgs(files, session, 0);
    args[args.indexOf('--data') + 1] = byRow;
    for (const header of ['idx,label', 'ID,label', 'index,label']) {
      for (const key of [String, (i: number) => (i === 7 ? '999' : String(i))]) {
        const answers = write('shuffled.csv', header, key, shuffled);
        const refused = run([...args, '--answers', answers, '--max-labels', '3']);
        expect(refused.status).toBe(1);
        expect(refused.stderr).toBe(
          `active-testing label: ${answers}: line 3: no "id" column, so answers go to items by row, but column ${JSON.stringify(header.split(',')[0])} reads "5" here, not the row number 1: name it id if it holds the item ids, or remove it (--answers)\n`,
        );
        expect(existsSync(session)).toBe(false);
      }
    }
    // The pool file as its own answers (its rows are the pool's items: their texts in order), its idx
    // a dataset's own indices (as a subset of GLUE's SST-2 carries), created from it and resumed
    // without --data (as the warning of a session created otherwise says to run); a column of the row numbers.
    const fromPoolFile = run([...args, '--answers', byRow, '--max-labels', '3']);
    expect(fromPoolFile.status, fromPoolFile.stderr).toBe(0);
    for (const [, id, label] of fromPoolFile.stdout.matchAll(/^labelled (\S+) (\S+)$/gm)) expect(label).toBe(answerOf(Number(id)));
    const resumed = run(['label', '--session', session, '--answers', byRow, '--max-labels', '5']);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stdout.match(/^labelled /gm)).toHaveLength(2);
    const rowNumbers = run([
      'label',
      '--session',
      session,
      '--answers',
      write('rows.csv', 'idx,label', String, inOrder),
      '--max-labels',
      '6',
    ]);
    expect(rowNumbers.status, rowNumbers.stderr).toBe(0);
    expect(rowNumbers.stdout.match(/^labelled /gm)).toHaveLength(1);
    // A pool with ids of its own is not answered by row: its texts in order do not spare the idx column.
    const withTexts = join(files.dir, 'with-texts.tsv');
    writeFileSync(withTexts, ['idx\tsentence\tlabel', ...inOrder.map((i) => `${100 + i}\t${files.texts[i]}\t${answerOf(i)}`)].join('\n'));
    const idPool = run([...createArgs(files, join(files.dir, 'ids.session'), 0), '--answers', withTexts]);
    expect(idPool.status).toBe(1);
    expect(idPool.stderr).toBe(
      `active-testing label: ${withTexts}: no column "id" (columns: idx, sentence, label): answers go to items by row only in a pool numbered by row, and this pool's items have ids of their own ("s0", …): add a column naming each answer's item (--answers)\n`,
    );
    // The pool's --id-column, given to create the session, names the answers' ids too.
    const keyed = join(files.dir, 'keyed.tsv');
    writeFileSync(keyed, ['key\tsentence\tlabel', ...inOrder.map((i) => `k${i}\t${files.texts[i]}\t${answerOf(i)}`)].join('\n'));
    const keyArgs = createArgs(files, join(files.dir, 'k.session'), 0);
    keyArgs[keyArgs.indexOf('--data') + 1] = keyed;
    const named = run([
      ...keyArgs,
      '--id-column',
      'key',
      '--answers',
      write('named.csv', 'key,label', (i) => `k${i}`, shuffled),
      '--max-labels',
      '4',
    ]);
    expect(named.status, named.stderr).toBe(0);
    const labelled = [...named.stdout.matchAll(/^labelled k(\d+) (\S+)$/gm)];
    expect(labelled).toHaveLength(4);
    for (const [, i, label] of labelled) expect(label).toBe(answerOf(Number(i)));
  });

  it('checks the whole answers file before creating the session or recording a label', async () => {
    const files = await writePoolFiles(20, 5);
    const session = join(files.dir, 'c.session');
    const answers = join(files.dir, 'bad-answers.tsv');
    const good = files.ids.map((id, i) => `${id}\t${files.pool.labels[i]}`);
    const cases: Array<[string, RegExp]> = [
      [`${files.ids[3]}\tneutral`, /line 5: answer "neutral" is not a class \(.*\), an index in \[0, 1\] or skip \(--answers\)$/],
      [`${files.ids[3]}\t2`, /line 5: answer "2" is not a class/],
      ['999\t1', /line 5: item id "999" is not in the pool \(--answers\)$/],
    ];
    for (const [line, message] of cases) {
      writeFileSync(answers, ['id\tlabel', ...good.slice(0, 3), line].join('\n'));
      const created = run([...createArgs(files, session, 0), '--answers', answers]);
      expect(created.status).toBe(1);
      expect(created.stderr.trim()).toMatch(message);
      expect(existsSync(session)).toBe(false);
    }
    // The suggestion comes after everything an answer may be, as every "did you mean" does.
    writeFileSync(answers, ['id\tlabel', ...good.slice(0, 3), `${files.ids[3]}\tpositiv`].join('\n'));
    const misspeltAnswer = run([...createArgs(files, session, 0), '--answers', answers]);
    expect(misspeltAnswer.status).toBe(1);
    expect(misspeltAnswer.stderr).toBe(
      `active-testing label: ${answers}: line 5: answer "positiv" is not a class (negative, positive), an index in [0, 1] or skip (--answers) (did you mean positive?)\n`,
    );
    expect(existsSync(session)).toBe(false);
    writeFileSync(answers, ['id\tlabel', ...good].join('\n'));
    const misspelt = run([...createArgs(files, session, 0), '--answers', answers, '--answer-column', 'lable']);
    expect(misspelt.status).toBe(1);
    expect(misspelt.stderr).toBe(
      `active-testing label: --answer-column: ${answers}: no column "lable" (columns: id, label) (did you mean "label"?)\n`,
    );
    expect(existsSync(session)).toBe(false);
    // An existing session records nothing from a file with a bad answer in it.
    writeFileSync(answers, ['id\tlabel', ...good].join('\n'));
    expect(run([...createArgs(files, session, 0), '--answers', answers, '--max-labels', '2']).status).toBe(0);
    writeFileSync(answers, ['id\tlabel', ...good.slice(0, 19), `${files.ids[19]}\tneutral`].join('\n'));
    const resumed = run(['label', '--session', session, '--answers', answers, '--max-labels', '10']);
    expect(resumed.status).toBe(1);
    expect(resumed.stderr.trim()).toMatch(/line 21: answer "neutral" is not a class/);
    const after = run(['label', '--session', session, '--export-labels', join(files.dir, 'labels.tsv')]);
    expect(after.status).toBe(0);
    expect(readFileSync(join(files.dir, 'labels.tsv'), 'utf8').trim().split('\n')).toHaveLength(3);
  });

  it('refuses --export-labels with a flag it would drop: answers, a stopping rule, pool options', async () => {
    const files = await writePoolFiles(6, 11);
    const session = join(files.dir, 'e.session');
    const answers = join(files.dir, 'answers.tsv');
    writeFileSync(answers, ['id\tlabel', ...files.ids.map((id, i) => `${id}\t${files.pool.labels[i]}`)].join('\n'));
    expect(run([...createArgs(files, session, 0), '--answers', answers, '--max-labels', '2']).status).toBe(0);
    const before = readFileSync(session, 'utf8');
    const exported = join(files.dir, 'labels.tsv');
    const refused = run(['label', '--session', session, '--answers', answers, '--max-labels', '4', '--export-labels', exported]);
    expect(refused.status).toBe(2);
    expect(refused.stderr.split('\n')[0]).toBe(
      "active-testing label: --export-labels writes the session's labels and stops: it takes no --answers, --max-labels",
    );
    const withPool = run([...createArgs(files, session, 0), '--export-labels', exported]);
    expect(withPool.status).toBe(2);
    expect(withPool.stderr).toMatch(
      /^active-testing label: --export-labels writes the session's labels and stops: it takes no --model-scores, /,
    );
    expect(existsSync(exported)).toBe(false);
    expect(readFileSync(session, 'utf8')).toBe(before);
  });

  it('refuses an existing --export-labels file before it reads the session', async () => {
    const files = await writePoolFiles(4, 7);
    const exported = join(files.dir, 'labels.tsv');
    writeFileSync(exported, 'keep me\n');
    // No session file at all: the existing output is what is reported, so the session was not read first.
    const refused = run(['label', '--session', join(files.dir, 'absent.session'), '--export-labels', exported]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toBe(
      `active-testing label: ${exported} already exists; choose another file for --export-labels (it is never overwritten)\n`,
    );
    expect(readFileSync(exported, 'utf8')).toBe('keep me\n');
  });

  it('an export path inside a file is one line naming that file, and the session is left as it was', async () => {
    const files = await writePoolFiles(20, 6);
    const session = join(files.dir, 'd.session');
    const answers = join(files.dir, 'answers.tsv');
    writeFileSync(answers, ['id\tlabel', ...files.ids.map((id, i) => `${id}\t${files.pool.labels[i]}`)].join('\n'));
    expect(run([...createArgs(files, session, 0), '--answers', answers, '--max-labels', '2']).status).toBe(0);
    const before = readFileSync(session, 'utf8');
    const cases: Array<[string, string[]]> = [
      ['--export-labels', ['--export-labels', join(files.data, 'labels.tsv')]],
      ['--export', ['--export', 'label-studio', join(files.data, 'tasks.json'), '--max-labels', '6']],
    ];
    for (const [flag, args] of cases) {
      const refused = run(['label', '--session', session, ...args]);
      expect(refused.status, flag).toBe(1);
      expect(refused.stderr.trim()).toBe(
        `active-testing label: ${flag}: expected a folder (or a path where one can be created), got "${files.data}" (it is a file)`,
      );
      expect(readFileSync(session, 'utf8'), flag).toBe(before);
    }
  });
});

describe('label and serve resuming a session with its acquisition given again', () => {
  it('take --acquisition adaptive without --surrogate-scores: the session keeps its own', async () => {
    const files = await writePoolFiles(40, 6);
    const session = join(files.dir, 'adaptive.session');
    const answers = join(files.dir, 'answers.tsv');
    writeFileSync(answers, ['id\tlabel', ...files.ids.map((id, i) => `${id}\t${files.pool.labels[i]}`)].join('\n'));
    expect(run([...createArgs(files, session, 1), '--acquisition', 'adaptive', '--answers', answers, '--max-labels', '3']).status).toBe(0);
    const resumed = run(['label', '--session', session, '--acquisition', 'adaptive', '--answers', answers, '--max-labels', '5']);
    expect(resumed.stderr).toBe('');
    expect(resumed.stdout).toContain('Stopped: 5 labels reached --max-labels 5.');
  });
});
