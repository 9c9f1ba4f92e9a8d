import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCliCaptured } from '../helpers/cli.js';
import { fakeLogprob, fakeModel, ScriptedServer, wordId, type ScriptedRequest } from './scripted-server.js';

const repoRoot = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'at-openai-resume-settings-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const data = join(dir, 'data.tsv');
/** In each batch of 2, a text of an odd and one of an even number of words. */
const TEXTS = ['a fine film', 'quite good', 'loved it all', 'too long', 'a real gem', 'flat and dull film', 'bad', 'a gem'];
writeFileSync(data, `sentence\tlabel\n${TEXTS.map((text, i) => `${text}\t${i % 2}`).join('\n')}\n`);

const ECHO = ['--openai-mode', 'echo'];
const FLOOR = ['--openai-mode', 'top-logprobs', '--missing-label', 'floor'];
/** Answered completions requests before the server stops answering (the run is then killed); Infinity answers all. */
let answered = Infinity;
/** Completions requests answered before the server answers each with 503 (a server gone down); Infinity answers all. */
let answeredBeforeOutage = Infinity;
/** Added to every token id but BOS that /tokenize answers: another tokenizer, as another model behind the same name has. */
let tokenShift = 0;
let server: ScriptedServer;

/**
 * The fake model, in both modes. In the top-logprobs mode every prompt's top log-probabilities
 * hold "negative" and two other tokens, and "positive" only for prompts of an even token count
 * (texts of an odd number of words): the other 4 items, one per batch of 2, have their "positive"
 * floored to the lowest, -6.
 */
function fakeBothModes(request: ScriptedRequest) {
  if (request.path === '/tokenize') {
    const { tokens } = JSON.parse(fakeModel(request).body as string) as { tokens: number[] };
    return { status: 200, body: JSON.stringify({ tokens: tokens.map((id) => (id === 0 ? 0 : id + tokenShift)) }) };
  }
  if (request.path !== '/v1/completions') return fakeModel(request);
  if (answeredBeforeOutage-- <= 0) return { status: 503, body: JSON.stringify({ error: { message: 'Service Unavailable' } }) };
  if (answered <= 0) return 'hang' as const;
  answered--;
  if (request.body.echo === true) return fakeModel(request);
  const [negative, positive] = [wordId('negative'), wordId('positive')];
  const choices = (request.body.prompt as number[][]).map((ids, index) => {
    const top: Record<string, number> = {
      [`token_id:${negative}`]: fakeLogprob([...ids, negative]),
      'token_id:9': -5,
      'token_id:8': -6,
    };
    if (ids.length % 2 === 0) top[`token_id:${positive}`] = fakeLogprob([...ids, positive]);
    return { index, text: '', logprobs: { tokens: ['token_id:9'], token_logprobs: [-5], top_logprobs: [top] } };
  });
  return { status: 200, body: JSON.stringify({ choices }) };
}

const completions = () => server.requests.filter((r) => r.path === '/v1/completions').length;

function evaluateArgs(out: string, flags: string[]): string[] {
  return [
    'evaluate',
    ...['--model', server.spec, '--data', data, '--classes', 'negative,positive', '--out', out],
    ...['--batch-size', '2', '--concurrency', '1', ...flags],
  ];
}

/**
 * `evaluate` in a separate process (from the sources, with tsx), killed with SIGKILL while it waits
 * for the answer to its third batch: the first two batches (4 items) are in its checkpoint.
 */
async function killedAfterTwoBatches(out: string, flags: string[]): Promise<void> {
  answered = 2;
  const earlier = completions();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...evaluateArgs(out, flags)], {
    cwd: repoRoot,
    stdio: 'ignore',
  });
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  // The third batch's request comes only after the second batch's scores were flushed to the checkpoint.
  const deadline = Date.now() + 60_000;
  while (completions() < earlier + 3) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the third batch');
    await new Promise((r) => setTimeout(r, 20));
  }
  child.kill('SIGKILL');
  expect(await exited).toBeNull();
  answered = Infinity;
}

/** The files of a folder and their bytes, less the lock a killed run leaves (the next run clears it as stale). */
function snapshot(folder: string): Record<string, string> {
  const files = readdirSync(folder).filter((name) => name !== '.active-testing.lock');
  return Object.fromEntries(files.map((name) => [name, readFileSync(join(folder, name)).toString('base64')]));
}

const meta = (out: string) => JSON.parse(readFileSync(join(out, 'meta.json'), 'utf8')) as Record<string, unknown>;

describe('evaluate with a served model, resumed', () => {
  beforeEach(async () => {
    answered = Infinity;
    answeredBeforeOutage = Infinity;
    tokenShift = 0;
    server = await ScriptedServer.start(fakeBothModes);
  });
  afterEach(async () => {
    await server.close();
  });

  it('refuses another --openai-mode than the interrupted run had, naming both, and writes nothing', async () => {
    const out = join(dir, 'mode');
    await killedAfterTwoBatches(out, ECHO);
    const before = snapshot(out);
    const requests = completions();
    const run = await runCliCaptured(evaluateArgs(out, FLOOR));
    expect(run.code).toBe(1);
    expect(run.stderr.split('\n')).toHaveLength(1);
    expect(run.stderr).toContain(
      '(changed: --openai-mode (recorded echo, given top-logprobs), --top-logprobs (recorded none, given 20), --missing-label (recorded none, given floor)); resuming would mix their scores: rerun with its settings to resume it, write to another output folder, or pass --force to discard it and start fresh',
    );
    expect(snapshot(out)).toEqual(before);
    expect(completions()).toBe(requests);
  });

  it('names --model, never an empty list, when only the name recorded for it differs (redacted by an earlier key)', async () => {
    // The served model's name is recorded with the registered API key redacted: a key equal to
    // the name ("fake") recorded it as "#***", and a rerun with another key finds "#fake".
    const out = join(dir, 'redacted-name');
    process.env.OPENAI_API_KEY = 'fake';
    try {
      await killedAfterTwoBatches(out, ECHO);
      process.env.OPENAI_API_KEY = 'another-key';
      const run = await runCliCaptured(evaluateArgs(out, ECHO));
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('(changed: --model); resuming would mix their scores');
    } finally {
      delete process.env.OPENAI_API_KEY;
    }
  });

  it('refuses another served model by its --model alone, not as changed model files', async () => {
    const out = join(dir, 'model');
    await killedAfterTwoBatches(out, ECHO);
    const before = snapshot(out);
    // The same server under another name: the same scores, but recorded as another target.
    const otherSpec = server.spec.replace('127.0.0.1', 'localhost');
    const run = await runCliCaptured(evaluateArgs(out, ECHO).map((arg) => (arg === server.spec ? otherSpec : arg)));
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /\(changed: --model \(recorded openai:http:\/\/127\.0\.0\.1:\d+\/v1#fake, given openai:http:\/\/localhost:\d+\/v1#fake\)\); resuming would mix their scores/,
    );
    expect(snapshot(out)).toEqual(before);
  });

  it('refuses to resume when the server now tokenizes the labels otherwise (another model behind the same name)', async () => {
    const out = join(dir, 'retokenized');
    await killedAfterTwoBatches(out, ECHO);
    const before = snapshot(out);
    tokenShift = 1;
    const run = await runCliCaptured(evaluateArgs(out, ECHO));
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /\.evaluate\.partial\.tokens\.json already exists; the unfinished run there scored label tokens \[\d+,\d+\], where the model now gives \[\d+,\d+\] for the same classes: its tokenizer changed \(another model served under the same name\?\); resuming would mix their scores: write to another output folder, or pass --force to discard it and start fresh$/,
    );
    expect(snapshot(out)).toEqual(before);
    expect((await runCliCaptured(evaluateArgs(out, [...ECHO, '--force']))).code).toBe(0);
    expect(meta(out).n).toBe(TEXTS.length);
  });

  it('refuses another --missing-label than the interrupted run had', async () => {
    const out = join(dir, 'policy');
    await killedAfterTwoBatches(out, FLOOR);
    const before = snapshot(out);
    const run = await runCliCaptured(evaluateArgs(out, ['--openai-mode', 'top-logprobs', '--missing-label', 'error']));
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('(changed: --missing-label (recorded floor, given error)); resuming would mix their scores');
    expect(snapshot(out)).toEqual(before);
  });

  it('refuses finished results of another --openai-mode rather than calling them complete', async () => {
    const out = join(dir, 'finished');
    expect((await runCliCaptured(evaluateArgs(out, ECHO))).code).toBe(0);
    const before = snapshot(out);
    const run = await runCliCaptured(evaluateArgs(out, FLOOR));
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('(changed: --openai-mode (recorded echo, given top-logprobs),');
    expect(snapshot(out)).toEqual(before);
  });

  it('stopped by a server gone down, says the items scored are kept, and resumes from them', async () => {
    const whole = join(dir, 'before-outage');
    expect((await runCliCaptured(evaluateArgs(whole, ECHO))).code).toBe(0);
    const out = join(dir, 'outage');
    answeredBeforeOutage = 2;
    const stopped = await runCliCaptured(evaluateArgs(out, [...ECHO, '--max-retries', '0']));
    expect(stopped.code).toBe(1);
    expect(stopped.stderr).toMatch(
      /^active-testing evaluate: http:\/\/127\.0\.0\.1:\d+\/v1\/completions: HTTP 503: Service Unavailable \(gave up after 1 attempt\); the 4 of 8 items scored are kept: run the same command again to resume from them$/,
    );
    answeredBeforeOutage = Infinity;
    const requests = completions();
    expect((await runCliCaptured(evaluateArgs(out, ECHO))).code).toBe(0);
    expect(completions() - requests).toBe(2);
    expect(readFileSync(join(out, 'scores.npy'))).toEqual(readFileSync(join(whole, 'scores.npy')));
  });

  it('resumed with the same flags, gives the results of an uninterrupted run', async () => {
    const whole = join(dir, 'whole');
    expect((await runCliCaptured(evaluateArgs(whole, FLOOR))).code).toBe(0);
    const out = join(dir, 'resumed');
    await killedAfterTwoBatches(out, FLOOR);
    const requests = completions();
    const resumed = await runCliCaptured(evaluateArgs(out, FLOOR));
    expect(resumed.code, resumed.stderr).toBe(0);
    // Only the 2 batches left were asked for.
    expect(completions() - requests).toBe(2);
    for (const name of ['scores.npy', 'labels.npy']) expect(readFileSync(join(out, name))).toEqual(readFileSync(join(whole, name)));
    const [{ timings: _, ...rest }, { timings: __, ...wholeRest }] = [meta(out), meta(whole)];
    expect(rest).toEqual(wholeRest);
    expect(rest.config).toMatchObject({ openai_mode: 'top-logprobs', top_logprobs: 20, missing_label: 'floor' });
    expect(rest.floored_labels).toBe(4);
    expect(existsSync(join(out, '.evaluate.partial.floored'))).toBe(false);
  });

  it('warns at the end of a resumed run of every floored score, those before the kill included', async () => {
    const out = join(dir, 'warned');
    await killedAfterTwoBatches(out, FLOOR);
    const resumed = await runCliCaptured(evaluateArgs(out, FLOOR));
    expect(resumed.code, resumed.stderr).toBe(0);
    // One item of each of the 4 batches; the first 2 were floored by the process that was killed.
    expect(resumed.stderr).toContain(
      "warning: 4 label scores of this run were not among the top log-probabilities the server returned (--top-logprobs) and were floored to the lowest of them (--missing-label floor): upper bounds, not the labels' log-probabilities",
    );
  });

  it('refuses a checkpoint that did not record how the served model scored', async () => {
    const out = join(dir, 'unrecorded');
    await killedAfterTwoBatches(out, ECHO);
    // As a version that did not record them wrote it.
    const path = join(out, '.evaluate.partial.json');
    const recorded = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    delete recorded.openai_mode;
    delete recorded.top_logprobs;
    delete recorded.missing_label;
    writeFileSync(path, `${JSON.stringify(recorded)}\n`);
    const before = snapshot(out);
    const run = await runCliCaptured(evaluateArgs(out, ECHO));
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      "(changed: the served model's scoring settings (--openai-mode, --top-logprobs, --missing-label: not recorded by the earlier run)); resuming would mix their scores",
    );
    expect(snapshot(out)).toEqual(before);
    // --force starts afresh.
    expect((await runCliCaptured([...evaluateArgs(out, ECHO), '--force'])).code).toBe(0);
    expect(meta(out).config).toMatchObject({ openai_mode: 'echo', top_logprobs: null, missing_label: null });
  });
});
