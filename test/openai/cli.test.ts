import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliCaptured } from '../helpers/cli.js';
import { fakeModel, ScriptedServer } from './scripted-server.js';
import { commandFlags, commandValues, parseOptions } from '../../src/cli/options.js';
import { UsageError } from '../../src/errors.js';
import { resolveEvaluateOptions, type EvaluateOptions } from '../../src/evaluation/evaluate-options.js';
import { remoteProgressLine, remoteProgressReporter } from '../../src/cli/openai-backend.js';
import { OpenAIBackend } from '../../src/model/backends/openai.js';

const spec = 'openai:http://127.0.0.1:8000/v1#served';

/** `active-testing evaluate`'s options for a served model, as the command parses them. */
function evaluateOptions(argv: string[]): EvaluateOptions {
  const base = ['--model', spec, '--data', 'hub:glue:sst2', '--classes', 'negative,positive'];
  return commandValues(parseOptions([...base, ...argv], commandFlags('evaluate')), 'evaluate') as unknown as EvaluateOptions;
}

describe('the server options of evaluate', () => {
  it('map onto the backend', async () => {
    const { remote, run } = await resolveEvaluateOptions(
      evaluateOptions([
        '--openai-mode',
        'top-logprobs',
        '--top-logprobs',
        '5',
        '--concurrency',
        '3',
        '--request-timeout',
        '2.5',
        '--max-retries',
        '0',
      ]),
    );
    expect(remote?.openaiMode).toBe('top-logprobs');
    expect(remote?.concurrency).toBe(3);
    expect(remote?.modelId).toBe(spec);
    expect(remote?.target.model).toBe('served');
    expect(run.backend).toBe(remote);
  });

  it('refuse the options a served model would ignore', async () => {
    const refused: Array<[string[], string]> = [
      [
        ['--device', 'cuda'],
        'device: expected only with a model run here (a folder or a Hub id); a served model runs on its server, got "cuda"',
      ],
      [
        ['--dtype', 'fp16'],
        'dtype: expected only with a model run here (a folder or a Hub id); a served model runs on its server, got "fp16"',
      ],
      [['--no-prefix-cache'], 'noPrefixCache: expected only with a model run here'],
      [['--prefix-cache-memory-limit', '1000'], 'prefixCacheMemoryLimit: expected only with a model run here'],
      // The echo mode (the default) reads every label's log-probability exactly.
      // The mode named as the caller sets it: `--openai-mode top-logprobs` on the command line.
      [
        ['--top-logprobs', '5'],
        "topLogprobs: expected only with openaiMode: 'top-logprobs'; the echo mode reads every label exactly, got 5",
      ],
      [['--openai-mode', 'echo', '--missing-label', 'floor'], "missingLabel: expected only with openaiMode: 'top-logprobs'"],
    ];
    for (const [argv, message] of refused) await expect(resolveEvaluateOptions(evaluateOptions(argv))).rejects.toThrow(message);
    // On the command line, in one line naming the flag, and no grid key the user did not write.
    const out = mkdtempSync(join(tmpdir(), 'at-openai-echo-'));
    try {
      const cli = await runCliCaptured([
        'evaluate',
        '--model',
        spec,
        '--data',
        'hub:glue:sst2',
        '--classes',
        'a,b',
        '--top-logprobs',
        '5',
        '--out',
        out,
      ]);
      expect([cli.code, cli.stderr]).toEqual([
        1,
        'active-testing evaluate: --top-logprobs: expected only with --openai-mode top-logprobs; the echo mode reads every label exactly, got 5',
      ]);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
    const { remote } = await resolveEvaluateOptions(evaluateOptions(['--openai-mode', 'top-logprobs', '--missing-label', 'floor']));
    expect(remote?.missingLabel).toBe('floor');
  });

  it('give usage errors for bad values', () => {
    const cases: Array<[string[], RegExp]> = [
      [['--openai-mode', 'fast'], /--openai-mode: expected one of echo \| top-logprobs/],
      [['--concurrency', '0'], /--concurrency: expected an integer ≥ 1/],
      [['--request-timeout', '0'], /--request-timeout: expected a number in \(0, 2147483\]/],
      // Longer than a timer can wait: every request failed as an unexpected error.
      [['--request-timeout', '1e7'], /--request-timeout: expected a number in \(0, 2147483\]/],
      [['--max-retries', 'x'], /--max-retries: expected an integer/],
    ];
    for (const [argv, message] of cases) {
      expect(() => evaluateOptions(argv)).toThrow(UsageError);
      expect(() => evaluateOptions(argv)).toThrow(message);
    }
  });
});

describe('remoteProgressLine', () => {
  const stats = { requests: 26, completionRequests: 13, flooredLabels: 0 };
  it('reports requests per second and an ETA from this run only', () => {
    expect(remoteProgressLine({ done: 96, total: 500 }, stats, 12.5)).toBe('96/500 items, 26 requests, 2.1 requests/s, ETA 53s');
    // Measured from a baseline of 64 items and 10 requests: 32 items and 16 requests in 8 s leave 404 items at 4 items/s.
    expect(remoteProgressLine({ done: 96, total: 500 }, stats, 8, { done: 64, requests: 10 })).toBe(
      '96/500 items, 26 requests, 2.0 requests/s, ETA 1m41s',
    );
  });

  it('says what it waits for until a request has completed, rather than a rate of 0 and no ETA', () => {
    expect(remoteProgressLine({ done: 0, total: 500 }, { ...stats, requests: 0 }, 0)).toBe(
      '0/500 items, 0 requests, waiting for the first answer',
    );
    expect(remoteProgressLine({ done: 0, total: 500 }, { ...stats, requests: 0 }, 30)).toBe(
      '0/500 items, 0 requests, waiting for the first answer',
    );
    // A first report after a batch (or a resumed run's, after the label tokens were looked up):
    // nothing has completed since the baseline it takes.
    expect(remoteProgressLine({ done: 96, total: 500 }, stats, 0, { done: 96, requests: 26 })).toBe(
      '96/500 items, 26 requests, rate and ETA from the next answer',
    );
  });
});

describe('the top-logprobs mode with more classes than --top-logprobs', () => {
  it('is refused from the classes, in the words of the flags, before the server is asked anything', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'at-openai-top-logprobs-'));
    const data = join(dir, 'data.tsv');
    writeFileSync(data, 'sentence\tlabel\ngood\t2\nbad\t0\nso so\t1\n');
    const server = await ScriptedServer.start(fakeModel);
    try {
      const run = await runCliCaptured([
        'evaluate',
        ...['--model', server.spec, '--data', data, '--classes', 'negative,neutral,positive'],
        ...['--openai-mode', 'top-logprobs', '--top-logprobs', '2', '--out', join(dir, 'out')],
      ]);
      expect(run.code).toBe(1);
      expect(run.stderr).toBe(
        'active-testing evaluate: --openai-mode: expected at most 2 classes (--top-logprobs 2) in the top-logprobs mode, since servers cap top_logprobs; use --openai-mode echo for more, got 3 classes',
      );
      expect(server.requests).toEqual([]);
      expect(existsSync(join(dir, 'out'))).toBe(false);
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is refused by the library in its own words', async () => {
    await expect(resolveEvaluateOptions({ ...evaluateOptions(['--openai-mode', 'top-logprobs', '--top-logprobs', '1']) })).rejects.toThrow(
      "openaiMode: expected at most 1 class (topLogprobs: 1) in the top-logprobs mode, since servers cap top_logprobs; use openaiMode: 'echo' for more, got 2 classes",
    );
  });
});

describe('remoteProgressLine counts', () => {
  it('say one item or request in the singular', () => {
    const stats = { requests: 1, completionRequests: 1, flooredLabels: 0 };
    expect(remoteProgressLine({ done: 0, total: 1 }, stats, 2)).toBe('0/1 item, 1 request, 0.5 requests/s, ETA ?');
  });
});

describe('remoteProgressReporter', () => {
  /** The lines a reporter writes for `updates` ([requests so far, done, total]) and its finish. */
  function reportedLines(intervalMs: number, updates: Array<[number, number, number]>): string[] {
    const backend = OpenAIBackend.fromSpec(spec);
    const lines: string[] = [];
    const stream = { write: (text: string) => lines.push(text) } as unknown as NodeJS.WritableStream;
    const progress = remoteProgressReporter(backend, { stream, intervalMs });
    for (const [requests, done, total] of updates) {
      backend.stats.requests = requests;
      progress.update(done, total);
    }
    progress.finish();
    return lines;
  }

  it('writes throttled lines and a last one at the end', () => {
    const lines = reportedLines(60_000, [
      [3, 4, 12],
      [6, 8, 12],
      [9, 12, 12],
    ]);
    expect(lines).toHaveLength(2);
    // The first report is the baseline: no rate yet.
    expect(lines[0]).toBe('4/12 items, 3 requests, rate and ETA from the next answer\n');
    expect(lines[1]).toMatch(/^12\/12 items, 9 requests, /);
  });

  it('ends a run of one batch on its counts, promising no rate', () => {
    expect(reportedLines(60_000, [[3, 12, 12]])).toEqual(['12/12 items, 3 requests\n']);
  });

  it('does not repeat at the end a line it has just written', () => {
    // A run whose last batch came after the interval (slow answers, retries) wrote its last line
    // with that batch; the end used to write the same line again.
    const lines = reportedLines(0, [
      [3, 4, 8],
      [6, 8, 8],
    ]);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe('4/8 items, 3 requests, rate and ETA from the next answer\n');
    expect(lines[1]).toMatch(/^8\/8 items, 6 requests, /);
  });
});

describe('a Retry-After longer than the allowed wait', () => {
  it('is refused on the command line naming --max-retry-delay, which sets the wait allowed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'at-openai-retry-after-'));
    const data = join(dir, 'data.tsv');
    writeFileSync(data, 'sentence\tlabel\ngood\t1\nbad\t0\n');
    const server = await ScriptedServer.start((request) =>
      request.path === '/v1/completions'
        ? { status: 429, body: '{"error":{"message":"slow down"}}', headers: { 'retry-after': '2' } }
        : fakeModel(request),
    );
    try {
      const run = await runCliCaptured([
        'evaluate',
        ...['--model', server.spec, '--data', data, '--classes', 'negative,positive'],
        ...['--max-retry-delay', '1', '--out', join(dir, 'out')],
      ]);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(
        /^active-testing evaluate: http:\/\/127\.0\.0\.1:\d+\/v1\/completions: HTTP 429: slow down; the server asks to wait 2 s, more than the 1 s allowed \(--max-retry-delay\)$/,
      );
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
