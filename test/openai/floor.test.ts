import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { evaluateToFolder } from '../../src/evaluation/evaluate.js';
import { resolveEvaluateOptions } from '../../src/evaluation/evaluate-options.js';
import { runEvaluateSteps } from '../../src/experiment/evaluate-steps.js';
import { readNpy } from '../../src/io/npy.js';
import { runCliCaptured } from '../helpers/cli.js';
import { fakeModel, ScriptedServer, wordId, type ScriptedRequest } from './scripted-server.js';

const dir = mkdtempSync(join(tmpdir(), 'at-openai-floor-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Top log-probabilities that hold "negative" but not "positive", for every prompt. */
function topWithoutPositive(request: ScriptedRequest) {
  if (request.path !== '/v1/completions') return fakeModel(request);
  const top = { [`token_id:${wordId('negative')}`]: -0.5, 'token_id:9': -1, 'token_id:8': -2.5 };
  const choices = (request.body.prompt as number[][]).map((_, index) => ({
    index,
    text: '',
    logprobs: { tokens: ['token_id:9'], token_logprobs: [-1], top_logprobs: [top] },
  }));
  return { status: 200, body: JSON.stringify({ choices }) };
}

describe('evaluate --missing-label floor', () => {
  it('says how many label scores were floored, which are upper bounds', async () => {
    const server = await ScriptedServer.start(topWithoutPositive);
    try {
      const data = join(dir, 'data.tsv');
      writeFileSync(data, 'sentence\tlabel\na fine film\t1\na dull film\t0\nquite good\t1\n');
      const out = join(dir, 'out');
      const run = await runCliCaptured([
        'evaluate',
        ...['--model', server.spec, '--data', data, '--classes', 'negative,positive', '--out', out],
        ...['--openai-mode', 'top-logprobs', '--missing-label', 'floor'],
      ]);
      expect(run.code, run.stderr).toBe(0);
      // Every item's "positive" got the lowest value returned.
      expect(Array.from((await readNpy(join(out, 'scores.npy'))).data as Float32Array)).toEqual([-0.5, -2.5, -0.5, -2.5, -0.5, -2.5]);
      expect(run.stderr).toContain(
        "warning: 3 label scores of this run were not among the top log-probabilities the server returned (--top-logprobs) and were floored to the lowest of them (--missing-label floor): upper bounds, not the labels' log-probabilities",
      );
    } finally {
      await server.close();
    }
  });
});

describe('a label missing from the top log-probabilities without missingLabel floor', () => {
  it("names the opt-in in its reader's words: --missing-label floor on the command line, missingLabel: 'floor' in the library", async () => {
    const server = await ScriptedServer.start(topWithoutPositive);
    try {
      const data = join(dir, 'unfloored.tsv');
      writeFileSync(data, 'sentence\tlabel\na fine film\t1\n');
      const common = ['--model', server.spec, '--data', data, '--classes', 'negative,positive', '--openai-mode', 'top-logprobs'];
      const run = await runCliCaptured(['evaluate', ...common, '--out', join(dir, 'unfloored-cli'), '--max-retries', '0']);
      expect(run.code).toBe(1);
      // The server returned 3 of the 20 requested: said so, not "the top 20".
      expect(run.stderr).toMatch(
        /: label token \d+ is not among the top 3 log-probabilities the server returned \(of the 20 requested: it may cap --top-logprobs lower\); use --openai-mode echo, or opt into --missing-label floor$/,
      );
      const asMany = await runCliCaptured([
        'evaluate',
        ...common,
        '--top-logprobs',
        '3',
        '--out',
        join(dir, 'unfloored-3'),
        '--max-retries',
        '0',
      ]);
      expect(asMany.stderr).toMatch(
        /: label token \d+ is not among the top 3 log-probabilities; use --openai-mode echo, or opt into --missing-label floor$/,
      );
      const { config, run: options } = await resolveEvaluateOptions({
        model: server.spec,
        data,
        classes: ['negative', 'positive'],
        openaiMode: 'top-logprobs',
        maxRetries: 0,
      });
      await expect(evaluateToFolder(config, { ...options, out: join(dir, 'unfloored-lib') })).rejects.toThrow(
        /not among the top 3 log-probabilities the server returned \(of the 20 requested: it may cap topLogprobs lower\); use openaiMode: 'echo', or opt into missingLabel: 'floor'$/,
      );
    } finally {
      await server.close();
    }
  });
});

describe('an experiment step with missingLabel floor', () => {
  it('warns of the floored label scores once per run of the step, naming the grid keys', async () => {
    const server = await ScriptedServer.start(topWithoutPositive);
    try {
      const grid = join(dir, 'grid');
      const data = join(dir, 'grid-data.tsv');
      writeFileSync(data, 'sentence\tlabel\na fine film\t1\na dull film\t0\n');
      const step = { model: server.spec, data, classes: 'negative,positive', openaiMode: 'top-logprobs', missingLabel: 'floor' } as const;
      const warning =
        "warning: 2 label scores of this run were not among the top log-probabilities the server returned (evaluate.served.topLogprobs) and were floored to the lowest of them (evaluate.served.missingLabel floor): upper bounds, not the labels' log-probabilities\n";
      // Scored, then found complete: the results hold floored scores either way.
      for (const run of ['scored', 'complete']) {
        const stderr: string[] = [];
        const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => stderr.push(String(chunk)) > 0);
        try {
          await runEvaluateSteps(new Map([['served', step]]), grid, false, () => {});
        } finally {
          spy.mockRestore();
        }
        expect(
          stderr.filter((line) => line.startsWith('warning:')),
          run,
        ).toEqual([warning]);
      }
    } finally {
      await server.close();
    }
  });
});

describe('a served model that misses a label of one row', () => {
  it('names the row by its line in the data file, not by its place in a batch', async () => {
    const dull = wordId('dull');
    // Every prompt gets both labels among its top log-probabilities but the one holding "dull".
    const server = await ScriptedServer.start((request) => {
      if (request.path !== '/v1/completions') return fakeModel(request);
      const choices = (request.body.prompt as number[][]).map((ids, index) => {
        const top = { [`token_id:${wordId('negative')}`]: -0.5, 'token_id:9': -1 };
        if (!ids.includes(dull)) top[`token_id:${wordId('positive')}`] = -1.5;
        return { index, text: '', logprobs: { tokens: ['token_id:9'], token_logprobs: [-1], top_logprobs: [top] } };
      });
      return { status: 200, body: JSON.stringify({ choices }) };
    });
    try {
      const data = join(dir, 'one-bad-row.tsv');
      writeFileSync(data, 'sentence\tlabel\na fine film\t1\nquite good\t1\nvery nice\t1\na dull film\t0\nawful\t0\n');
      const run = await runCliCaptured([
        'evaluate',
        ...['--model', server.spec, '--data', data, '--classes', 'negative,positive', '--out', join(dir, 'one-bad-row')],
        ...['--openai-mode', 'top-logprobs', '--top-logprobs', '2', '--batch-size', '2'],
      ]);
      expect(run.code).toBe(1);
      // The fourth row, on line 5, is the second of its batch.
      expect(run.stderr).toContain(
        `${server.baseUrl}/completions: line 5 of ${data}: label token ${wordId('positive')} is not among the top 2 log-probabilities;`,
      );
    } finally {
      await server.close();
    }
  });
});

describe('an empty top_logprobs with missingLabel floor', () => {
  it('is refused as a malformed answer, not floored to Infinity nor checkpointed', async () => {
    const emptyTop = (request: ScriptedRequest) => {
      if (request.path !== '/v1/completions') return fakeModel(request);
      const choices = (request.body.prompt as number[][]).map((_, index) => ({
        index,
        text: '',
        logprobs: { tokens: ['token_id:9'], token_logprobs: [-1], top_logprobs: [{}] },
      }));
      return { status: 200, body: JSON.stringify({ choices }) };
    };
    const server = await ScriptedServer.start(emptyTop);
    try {
      const data = join(dir, 'empty-top.tsv');
      writeFileSync(data, 'sentence\tlabel\na fine film\t1\n');
      const out = join(dir, 'empty-top');
      const run = await runCliCaptured([
        'evaluate',
        ...['--model', server.spec, '--data', data, '--classes', 'negative,positive', '--out', out, '--max-retries', '0'],
        ...['--openai-mode', 'top-logprobs', '--missing-label', 'floor'],
      ]);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/line 2 of .*empty-top\.tsv: the answer's top_logprobs for the first generated token is empty$/);
      expect(existsSync(join(out, '.evaluate.partial.f32')) && statSync(join(out, '.evaluate.partial.f32')).size).toBeFalsy();
    } finally {
      await server.close();
    }
  });
});
