import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parquetWriteFile } from 'hyparquet-writer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeFailure } from '../../src/cli/run.js';
import { readTable } from '../../src/dataset/read-table.js';
import { FileFormatError, InputError } from '../../src/errors.js';
import { resolveEvaluateSteps } from '../../src/experiment/evaluate-steps.js';
import { resolveExperimentConfig } from '../../src/experiment/config.js';
import { writeNpy } from '../../src/io/npy.js';
import { redactSecrets, registerSecret } from '../../src/io/redact.js';
import { accuracy } from '../../src/metrics/accuracy.js';
import { OpenAIHttpClient } from '../../src/model/backends/openaiHttp.js';
import { parseOpenAIModelSpec } from '../../src/model/backends/openaiTarget.js';
import { syntheticPool } from '../../src/simulate/syntheticPool.js';
import { runCliCaptured, type CliRun } from '../helpers/cli.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const cliPath = join(repoRoot, 'dist/cli.js');
const root = mkdtempSync(join(tmpdir(), 'at-cli-faults-'));
const N = 120;
const K = 3;
let faults = 0;

/** A run that failed the way a user should see it: exit 1 (or 2), one line on stderr, no stack frames. */
function expectOneLine(run: CliRun | { code: number | null; stderr: string }, code = 1): void {
  faults++;
  expect(run.code, run.stderr).toBe(code);
  const lines = run.stderr.trim().split('\n');
  expect(lines.length, run.stderr).toBeLessThanOrEqual(code === 2 ? 2 : 1);
  expect(run.stderr).not.toMatch(/\n\s+at |\bat async\b|node:internal/);
}

async function pool(name: string, size: number): Promise<{ f: string; y: string }> {
  const dir = join(root, name);
  const p = syntheticPool({ poolSize: size, classCount: K, seed: 5 });
  await writeNpy(join(dir, 'f.npy'), { data: p.modelScores.data, shape: [size, K], dtype: 'f8' }, { force: true });
  await writeNpy(join(dir, 'y.npy'), { data: Int32Array.from(p.labels), shape: [size], dtype: 'i4' }, { force: true });
  return { f: join(dir, 'f.npy'), y: join(dir, 'y.npy') };
}

let files: { f: string; y: string };
let aFile: string;
let grid: string;
let data: string;
let answersFile: string;

/** Each command with its output option pointing at `out`. */
function commands(out: string): Array<[string, string[]]> {
  return [
    ['simulate', ['simulate', '--model-scores', files.f, '--labels', files.y, '--runs', '5', '--size', '20', '--out', out]],
    ['experiment', ['experiment', '--config', grid, '--out', out]],
    ['report', ['report', join(root, 'run-a'), '--out', out]],
    [
      'evaluate',
      ['evaluate', '--model', join(repoRoot, 'test/models/tiny-gpt2'), '--data', data, '--classes', 'negative,positive', '--out', out],
    ],
    [
      'label',
      [
        'label',
        '--session',
        join(out, 'session.jsonl'),
        '--data',
        data,
        '--classes',
        'negative,positive,neutral',
        '--model-scores',
        files.f,
        '--answers',
        answersFile,
      ],
    ],
  ];
}

beforeAll(async () => {
  chmodSync(root, 0o755);
  files = await pool('pool', N);
  aFile = join(root, 'a-file');
  writeFileSync(aFile, 'not a folder\n');
  grid = join(root, 'grid.json');
  writeFileSync(grid, JSON.stringify({ modelScores: files.f, labels: files.y, runs: 5, size: 20, settings: [{ acquisition: 'iid' }] }));
  answersFile = join(root, 'all-answers.tsv');
  writeFileSync(answersFile, 'label\n' + Array.from({ length: N }, (_, i) => (i % 2 === 0 ? 'negative' : 'positive')).join('\n') + '\n');
  data = join(root, 'data.tsv');
  writeFileSync(data, 'sentence\tlabel\n' + Array.from({ length: N }, (_, i) => `item ${i}\t${i % 2}`).join('\n') + '\n');
  const run = await runCliCaptured([
    'simulate',
    '--model-scores',
    files.f,
    '--labels',
    files.y,
    '--runs',
    '5',
    '--size',
    '20',
    '--out',
    join(root, 'run-a'),
  ]);
  expect(run.code, run.stderr).toBe(0);
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
  console.log(`cli-errors: ${faults} injected faults`);
});

describe('an output path that cannot be written is refused in one line, before any work', () => {
  it.each(['simulate', 'experiment', 'report', 'evaluate', 'label'])('%s with --out (or --session) inside a file', async (name) => {
    const [, argv] = commands(join(aFile, 'sub')).find(([n]) => n === name)!;
    const run = await runCliCaptured(argv);
    expectOneLine(run);
    expect(run.stderr).toContain('a-file');
  });

  it.each(['simulate', 'experiment', 'report', 'evaluate'])('%s with --out that is a file', async (name) => {
    const [, argv] = commands(aFile).find(([n]) => n === name)!;
    const run = await runCliCaptured(argv);
    expectOneLine(run);
    expect(run.stderr).toMatch(/--out: .*is a file/);
  });

  it('as a user without write permission, every command fails in one line (run as nobody when the tests run as root)', () => {
    const locked = join(root, 'locked');
    mkdirSync(locked, { recursive: true });
    chmodSync(locked, 0o555);
    const asUser =
      process.getuid?.() === 0
        ? ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups', '--', process.execPath]
        : [process.execPath];
    for (const [name, argv] of commands(join(locked, 'out'))) {
      const child = spawnSync(asUser[0]!, [...asUser.slice(1), cliPath, ...argv], {
        encoding: 'utf8',
        env: { ...process.env, NO_COLOR: '1' },
      });
      expectOneLine({ code: child.status, stderr: child.stderr });
      if (name !== 'label') expect(child.stderr, name).toMatch(/not writable|permission denied/);
    }
    expect(readdirSync(locked)).toEqual([]);
  });
});

describe('one-line errors instead of stack traces', () => {
  it('simulate --runs 10^12 is refused with the memory it would need, before allocating', async () => {
    const run = await runCliCaptured([
      'simulate',
      '--model-scores',
      files.f,
      '--labels',
      files.y,
      '--runs',
      '1000000000000',
      '--out',
      join(root, 'huge'),
    ]);
    expectOneLine(run);
    expect(run.stderr).toMatch(/--runs: .*need about [\d.]+ GiB .*this machine has [\d.]+ GiB/);
    expect(existsSync(join(root, 'huge'))).toBe(false);
  });

  it('simulate --demo --runs 10^12 is refused with the memory it would need, before allocating', async () => {
    const run = await runCliCaptured(['simulate', '--demo', '--runs', '1000000000000', '--out', join(root, 'huge-demo')]);
    expectOneLine(run);
    expect(run.stderr).toMatch(/--runs: .*need about [\d.]+ GiB .*this machine has [\d.]+ GiB/);
    expect(existsSync(join(root, 'huge-demo'))).toBe(false);
  });

  it('turns file-system, memory and unexpected errors into one line without a stack', () => {
    const enospc = Object.assign(new Error('ENOSPC: no space left on device, write'), {
      code: 'ENOSPC',
      syscall: 'write',
      path: '/x/q.npy',
    });
    expect(describeFailure(enospc, 'simulate')).toEqual({
      message: '/x/q.npy: no space left on the device (ENOSPC, write); free some space and run again',
      code: 1,
    });
    const eacces = Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES', syscall: 'open', path: '/x' });
    expect(describeFailure(eacces, 'label').message).toBe('/x: permission denied (EACCES, open)');
    // The same words as a file that cannot be read (unreadableFile) uses.
    const eisdir = Object.assign(new Error('EISDIR: illegal operation on a directory, read'), {
      code: 'EISDIR',
      syscall: 'read',
      path: '/x',
    });
    expect(describeFailure(eisdir, 'label').message).toBe('/x: a folder, not a file (EISDIR, read)');
    const enoent = Object.assign(new Error("ENOENT: no such file or directory, open '/x'"), {
      code: 'ENOENT',
      syscall: 'open',
      path: '/x',
    });
    expect(describeFailure(enoent, 'label').message).toBe('/x: no such file (ENOENT, open)');
    expect(describeFailure(new RangeError('Array buffer allocation failed'), 'simulate').message).toMatch(
      /^out of memory \(Array buffer allocation failed\); ask for less work/,
    );
    const bug = describeFailure(new TypeError("Cannot read properties of undefined (reading 'x')"), 'label', {});
    expect(bug.message).not.toMatch(/\n/);
    expect(bug.message).toMatch(/^unexpected error: Cannot read properties .*ACTIVE_TESTING_DEBUG/);
    expect(describeFailure(new TypeError('boom'), 'label', { ACTIVE_TESTING_DEBUG: '1' }).message).toMatch(/\n\s+at /);
    expect(describeFailure(new InputError({ argument: 'x', expected: 'a\nb' }), 'label').message).toBe('x: expected a b');
    // A library error about one of the command's options names its flag; other arguments keep their names.
    expect(describeFailure(new InputError({ argument: 'baseline', expected: 'a setting', received: 'x' }), 'report').message).toBe(
      '--baseline: expected a setting, got "x"',
    );
    expect(describeFailure(new InputError({ argument: 'baseline', expected: 'a setting' }), 'simulate').message).toBe(
      'baseline: expected a setting',
    );
    expect(describeFailure(new InputError({ argument: 'modelScores', expected: 'finite values', row: 3 }), 'simulate').message).toBe(
      '--model-scores (row 3): expected finite values',
    );
    faults += 6;
  });
});

describe('report refuses what would be a misleading table', () => {
  it('an experiment manifest that is not JSON, or lists no settings', async () => {
    for (const [name, text] of [
      ['manifest-garbage', '{ not json'],
      ['manifest-no-settings', '{"settings": 3}'],
    ]) {
      const dir = join(root, name);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'experiment.json'), text);
      const run = await runCliCaptured(['report', dir]);
      expectOneLine(run);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/experiment\.json: is not (readable JSON|an experiment manifest)/);
      expect(run.stderr).not.toMatch(/unexpected error/);
    }
  });

  it("a threshold given after --thresholds's value as if it were a folder, naming the form that works", async () => {
    const runs = join(root, 'thresholds-runs');
    mkdirSync(runs, { recursive: true });
    // The numbers are read as folders relative to the working folder, where one may exist.
    const cwd = process.cwd();
    process.chdir(root);
    try {
      const run = await runCliCaptured(['report', '--thresholds', '50', '100', '200', runs]);
      expectOneLine(run, 2);
      expect(run.stderr).toMatch(
        /^active-testing report: "100" after --thresholds's value would be read as an input folder; give --thresholds's values comma-separated \(--thresholds 50,100,200\) or repeat --thresholds$/m,
      );
      // A folder of that name is an input, as written.
      mkdirSync(join(root, '100'), { recursive: true });
      const folder = await runCliCaptured(['report', '--thresholds', '50', '100']);
      expect(folder.code).toBe(1);
      expect(folder.stderr).not.toMatch(/after --thresholds/);
    } finally {
      process.chdir(cwd);
    }
  });

  it('a file instead of a folder', async () => {
    const run = await runCliCaptured(['report', aFile]);
    expectOneLine(run);
    expect(run.stderr).toMatch(/a-file" \(it is a file\)$/);
  });

  it('a folder that does not exist, named as such and not created', async () => {
    const missing = join(root, 'no-such-runs');
    const run = await runCliCaptured(['report', missing]);
    expectOneLine(run);
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe(
      `active-testing report: DIR: expected simulate or experiment output folders, got "${missing}" (it does not exist)`,
    );
    // Named as the usage line names the folders (DIR...), never by the library's `dirs`.
    const twice = await runCliCaptured(['report', root, root, '--out', join(root, 'rep-twice')]);
    expect(twice.stderr.trim()).toBe(
      `active-testing report: DIR: expected each folder once (the same runs would be two rows), got "${root}" (twice)`,
    );
    expect(existsSync(missing)).toBe(false);
  });

  it('an empty folder name, not the working directory', async () => {
    const run = await runCliCaptured(['report', '', '--out', join(root, 'rep-empty')]);
    expectOneLine(run);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/expected simulate or experiment output folders, got ""$/m);
    expect(existsSync(join(root, 'rep-empty'))).toBe(false);
  });

  it('the same folder twice, however it is spelt', async () => {
    const a = join(root, 'run-a');
    for (const second of [a, `${a}/`, join(root, '.', 'run-a')]) {
      const run = await runCliCaptured(['report', a, second, '--out', join(root, 'rep-twice')]);
      expectOneLine(run);
      expect(run.stderr).toMatch(/each folder once/);
    }
  });

  it('runs on different pools: another pool size, and the same pool duplicated', async () => {
    const big = await pool('pool-2n', 2 * N);
    const dup = join(root, 'pool-dup');
    const p = syntheticPool({ poolSize: N, classCount: K, seed: 5 });
    const doubled = new Float64Array(2 * N * K);
    doubled.set(p.modelScores.data);
    doubled.set(p.modelScores.data, N * K);
    await writeNpy(join(dup, 'f.npy'), { data: doubled, shape: [2 * N, K], dtype: 'f8' }, { force: true });
    await writeNpy(join(dup, 'y.npy'), { data: Int32Array.from([...p.labels, ...p.labels]), shape: [2 * N], dtype: 'i4' }, { force: true });
    for (const [name, input] of [
      ['run-2n', big],
      ['run-dup', { f: join(dup, 'f.npy'), y: join(dup, 'y.npy') }],
    ] as const) {
      const made = await runCliCaptured([
        'simulate',
        '--model-scores',
        input.f,
        '--labels',
        input.y,
        '--runs',
        '5',
        '--size',
        '20',
        '--out',
        join(root, name),
      ]);
      expect(made.code, made.stderr).toBe(0);
      const run = await runCliCaptured(['report', join(root, 'run-a'), join(root, name), '--out', join(root, `rep-${name}`)]);
      expectOneLine(run);
      expect(run.stderr).toMatch(/runs on different pools/);
      expect(existsSync(join(root, `rep-${name}`))).toBe(false);
    }
  });

  it('runs of another loss on the same pool are named as such', async () => {
    const made = await runCliCaptured([
      'simulate',
      '--model-scores',
      files.f,
      '--labels',
      files.y,
      '--loss',
      'zero-one',
      '--runs',
      '5',
      '--size',
      '20',
      '--out',
      join(root, 'run-zero-one'),
    ]);
    expect(made.code, made.stderr).toBe(0);
    const run = await runCliCaptured(['report', join(root, 'run-a'), join(root, 'run-zero-one'), '--out', join(root, 'rep-losses')]);
    expectOneLine(run);
    expect(run.stderr).toMatch(
      /expected runs of one loss \(report each loss separately\), got \[".*run-a", ".*run-zero-one"\] \(losses cross-entropy and zero-one\)$/,
    );
    expect(existsSync(join(root, 'rep-losses'))).toBe(false);
  });

  it('an interrupted simulate folder (estimates.npy without summary.json) is named as such, never reported', async () => {
    const half = join(root, 'half');
    mkdirSync(half, { recursive: true });
    copyFileSync(join(root, 'run-a', 'estimates.npy'), join(half, 'estimates.npy'));
    const run = await runCliCaptured(['report', half, '--out', join(root, 'rep-half')]);
    expectOneLine(run);
    expect(run.stderr).toMatch(/holds an interrupted simulate run/);
    // No flag: the simulation that would replace it may be the library's, and report's own
    // --force would not; simulate's refusal then names its force in its reader's words.
    expect(run.stderr).toMatch(
      /\(estimates\.npy without summary\.json, which is written last\); run the simulation again, replacing its outputs$/,
    );
  });
});

describe('bad data is refused with where it is', () => {
  it('accuracy() of NaN logits is an InputError, not 1', () => {
    const scores = { data: Float64Array.of(NaN, NaN, 1, 0), rows: 2, cols: 2 };
    expect(() => accuracy(scores, Int32Array.of(0, 0))).toThrow(InputError);
    expect(() => accuracy(scores, Int32Array.of(0, 0))).toThrow(/scores \(row 0\): expected numbers, not NaN/);
    faults++;
  });

  it('a TSV with two columns of the same name', async () => {
    const path = join(root, 'dup.tsv');
    writeFileSync(path, 'sentence\tlabel\tsentence\na\t0\tb\n');
    await expect(readTable(path)).rejects.toThrow(/line 1: column 3 is named "sentence" like column 1/);
    faults++;
  });

  it('invalid UTF-8, with its line and column', async () => {
    const path = join(root, 'latin1.tsv');
    writeFileSync(path, Buffer.concat([Buffer.from('sentence\tlabel\ngood\t1\ncaf'), Buffer.from([0xe9]), Buffer.from('\t0\n')]));
    await expect(readTable(path)).rejects.toThrow(FileFormatError);
    await expect(readTable(path)).rejects.toThrow(/line 3, column 4: invalid UTF-8 \(byte 0xe9/);
    faults++;
  });

  /** `label` creating the session `session` over the pool and recording the answers of `answers`. */
  const labelFromAnswers = (session: string, answers: string): Promise<CliRun> =>
    runCliCaptured([
      'label',
      '--session',
      join(root, session),
      '--data',
      data,
      '--classes',
      'negative,positive,neutral',
      '--model-scores',
      files.f,
      '--answers',
      answers,
      '--max-labels',
      '3',
    ]);

  it('duplicate ids in --answers', async () => {
    const answers = join(root, 'answers.tsv');
    writeFileSync(answers, 'id\tlabel\n0\tpositive\n1\tnegative\n0\tnegative\n');
    const run = await labelFromAnswers('answers-session.jsonl', answers);
    expectOneLine(run);
    expect(run.stderr).toMatch(/answers\.tsv: line 4: a second answer for item id "0"/);
  });

  it('a blank line between positional --answers, which would move every later answer', async () => {
    const answers = join(root, 'positional-answers.tsv');
    writeFileSync(answers, 'label\npositive\n\nnegative\npositive\n\n');
    const run = await labelFromAnswers('positional-session.jsonl', answers);
    expectOneLine(run);
    expect(run.stderr).toMatch(
      /positional-answers\.tsv: line 4: a blank line before it; without an id column answers go to items by their row/,
    );
    expect(existsSync(join(root, 'positional-session.jsonl'))).toBe(false);
  });

  it('duplicate ids in Parquet --answers, told by the file row (it has no lines)', async () => {
    const answers = join(root, 'answers.parquet');
    parquetWriteFile({
      filename: answers,
      columnData: [
        { name: 'id', data: ['0', '1', '0'], type: 'STRING' },
        { name: 'label', data: ['positive', 'negative', 'negative'], type: 'STRING' },
      ],
    });
    const run = await labelFromAnswers('parquet-answers-session.jsonl', answers);
    expectOneLine(run);
    expect(run.stderr).toMatch(/answers\.parquet: row 2 \(counting from 0\): a second answer for item id "0"/);
  });
});

describe('experiment step names are plain names', () => {
  it.each(['..', '.', '.hidden', 'a/b', 'a\\b', '', '../x'])('refuses evaluate step %j', (name) => {
    expect(() => resolveEvaluateSteps({ [name]: { model: 'm', data: 'd.tsv', classes: 'a,b' } }, root)).toThrow(InputError);
    faults++;
  });

  it('a setting named ".." gets a folder inside the experiment', () => {
    const config = resolveExperimentConfig(
      {
        modelScores: files.f,
        labels: files.y,
        settings: [
          { name: '..', acquisition: 'iid' },
          { name: '.x', acquisition: 'self-entropy' },
        ],
      },
      root,
    );
    for (const setting of config.settings) expect(setting.folder).toMatch(/^[a-z0-9+][a-z0-9.+-]*$/);
    faults += 2;
  });
});

describe('credentials never reach a message', () => {
  it('a password in openai:http://user:password@host/v1#m is refused without printing it', async () => {
    expect(() => parseOpenAIModelSpec('openai:http://user:hunter2secret@localhost:9/v1#m', { env: {} })).toThrow(
      /without credentials in the URL/,
    );
    const run = await runCliCaptured([
      'evaluate',
      '--model',
      'openai:http://user:hunter2secret@127.0.0.1:9/v1#m',
      '--data',
      data,
      '--classes',
      'negative,positive',
      '--out',
      join(root, 'remote'),
    ]);
    expectOneLine(run);
    expect(run.stderr).not.toContain('hunter2secret');
    expect(run.stderr).toContain('http://***@127.0.0.1:9/v1');
  });

  it('redacts URL credentials, bearer tokens, key fields, sk- keys and registered secrets', () => {
    registerSecret('my-registered-key-42');
    const text = 'http://u:p@h/v1 Authorization: Bearer abc.def {"api_key": "k123"} sk-abcdefghijkl password=pw1 my-registered-key-42';
    const redacted = redactSecrets(text);
    for (const secret of ['u:p@', 'abc.def', 'k123', 'abcdefghijkl', 'pw1', 'my-registered-key-42']) expect(redacted).not.toContain(secret);
    expect(redacted).toBe('http://***@h/v1 Authorization: Bearer *** {"api_key": "***"} sk-*** password=*** ***');
    faults++;
  });

  it('redacts a short registered secret only as it is, a long one in any case', () => {
    // vLLM's placeholder key: redacted in any case, "non-empty" would read "non-***".
    registerSecret('EMPTY');
    registerSecret('Long-Registered-Key-7');
    expect(redactSecrets('EMPTY: expected non-empty label words; long-registered-key-7 LONG-REGISTERED-KEY-7')).toBe(
      '***: expected non-empty label words; *** ***',
    );
  });

  it('redacts a secret registered with the newline it was pasted with, which fetch drops before sending', () => {
    registerSecret('vllm-key-ABCDEFGHIJKLMN\n');
    registerSecret('hf_pasted_with_spaces  \r\n');
    expect(redactSecrets('server: key vllm-key-ABCDEFGHIJKLMN refused; token hf_pasted_with_spaces unknown')).toBe(
      'server: key *** refused; token *** unknown',
    );
  });

  it.each([401, 403])('HTTP %i is permanent (one request) and a key echoed in the body is not printed', async (status) => {
    let requests = 0;
    const server = createServer((request, response) => {
      requests++;
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: { message: `bad credentials: ${request.headers.authorization}` } }));
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    try {
      const { port } = server.address() as AddressInfo;
      const client = new OpenAIHttpClient({ apiKey: 'zz-secret-key-value', retryDelay: 0.001, maxRetries: 3 });
      const error = (await client.postJson(`http://127.0.0.1:${port}/v1/completions`, {}).catch((e: unknown) => e)) as Error;
      expect(error.message).toMatch(
        new RegExp(`HTTP ${status}: bad credentials: Bearer \\*\\*\\*; the server refused the API key \\(not retried\\)`),
      );
      expect(error.message).not.toContain('zz-secret-key-value');
      expect(requests).toBe(1);
      faults++;
    } finally {
      server.close();
    }
  });
});
