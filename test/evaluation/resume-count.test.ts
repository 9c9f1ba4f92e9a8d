import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CancelledError } from '../../src/errors.js';
import { evaluateToFolder, resolveEvaluateOptions } from '../../src/index.js';
import type { ScoringBackend } from '../../src/model/index.js';
import { wordBackend } from '../helpers/word-backend.js';

const root = mkdtempSync(join(tmpdir(), 'at-evaluate-resume-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A backend that scores zeros and aborts `controller` after `batches` batches. */
function fakeBackend(controller: AbortController, batches: number): ScoringBackend {
  return wordBackend((prompts, labels) => new Float32Array(prompts * labels), controller, batches);
}

describe('evaluateToFolder stopped on a resumed run', () => {
  it('counts the items done over the whole dataset, the checkpoint’s included, in its progress and its message', async () => {
    const data = join(root, 'data.tsv');
    writeFileSync(data, 'sentence\tlabel\n' + Array.from({ length: 40 }, (_, i) => `a good film number ${i}\t${i % 2}`).join('\n') + '\n');
    const { config, run } = await resolveEvaluateOptions({ model: 'fake/model', data, classes: ['negative', 'positive'], batchSize: 4 });
    const out = join(root, 'out');
    /** One run stopped after `batches` batches (0: at its first progress report): its message and the progress it reported. */
    const stopped = async (batches: number) => {
      const controller = new AbortController();
      const progress: number[] = [];
      const error = await evaluateToFolder(config, {
        ...run,
        out,
        backend: fakeBackend(controller, batches),
        signal: controller.signal,
        onProgress: (done, total) => {
          progress.push(done, total);
          if (batches === 0) controller.abort();
        },
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CancelledError);
      return { message: (error as Error).message, progress };
    };
    const first = await stopped(3);
    expect(first.message).toBe('scoring cancelled after 12 of 40 items; rerun the same command to resume');
    expect(first.progress).toEqual([4, 40, 8, 40, 12, 40]);
    // Resumed from the checkpoint's 12 items: 8 more scored.
    const second = await stopped(2);
    expect(second.message).toBe('scoring cancelled after 20 of 40 items; rerun the same command to resume');
    expect(second.progress).toEqual([12, 40, 16, 40, 20, 40]);
    // Stopped before its first batch: what the checkpoint holds is reported, and the message says so.
    const third = await stopped(0);
    expect(third.message).toBe('scoring cancelled after 20 of 40 items; rerun the same command to resume');
    expect(third.progress).toEqual([20, 40]);
  });
});
