import { mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CancelledError, FileFormatError } from '../../src/errors.js';
import { evaluateToFolder, resolveEvaluateOptions } from '../../src/index.js';
import { readNpy } from '../../src/io/npy.js';
import type { ScoringBackend } from '../../src/model/index.js';
import { wordBackend } from '../helpers/word-backend.js';

const root = mkdtempSync(join(tmpdir(), 'at-evaluate-checkpoint-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/**
 * A backend whose scores depend on an item's place in its batch, as onnxruntime's rounding does
 * on padding, so that results show whether a resumed run kept the batches. It aborts
 * `controller` after `stopAfter` batches.
 */
function batchSensitiveBackend(controller?: AbortController, stopAfter = Infinity): ScoringBackend {
  return wordBackend(
    (prompts, labels) => Float32Array.from({ length: prompts * labels }, (_, i) => Math.floor(i / labels) + prompts / 10),
    controller,
    stopAfter,
  );
}

const data = join(root, 'data.tsv');
writeFileSync(data, 'sentence\tlabel\n' + Array.from({ length: 40 }, (_, i) => `a good film number ${i}\t${i % 2}`).join('\n') + '\n');
const options = { model: 'fake/model', data, classes: ['negative', 'positive'], batchSize: 4 };

/** A run into `out` stopped after `batches` batches, leaving its checkpoint. */
async function stoppedRun(out: string, batches: number): Promise<void> {
  const { config, run } = await resolveEvaluateOptions(options);
  const controller = new AbortController();
  const error = await evaluateToFolder(config, {
    ...run,
    out,
    backend: batchSensitiveBackend(controller, batches),
    signal: controller.signal,
  }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(CancelledError);
}

async function finishedRun(out: string, force = false): Promise<Float32Array> {
  const { config, run } = await resolveEvaluateOptions(options);
  const outcome = await evaluateToFolder(config, { ...run, out, force, backend: batchSensitiveBackend() });
  expect(outcome.n).toBe(40);
  return (await readNpy(join(out, 'scores.npy'))).data as Float32Array;
}

describe('evaluateToFolder resuming a damaged checkpoint', () => {
  it('refuses a checkpoint whose configuration is not JSON, and --force starts fresh', async () => {
    const out = join(root, 'unreadable');
    await stoppedRun(out, 3);
    writeFileSync(join(out, '.evaluate.partial.json'), 'garbage\n');
    const { config, run } = await resolveEvaluateOptions(options);
    const refused = await evaluateToFolder(config, { ...run, out, backend: batchSensitiveBackend() }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(FileFormatError);
    expect((refused as Error).message).toMatch(
      /\.evaluate\.partial\.json: unreadable checkpoint \(not JSON\); remove it, or pass force: true to start fresh$/,
    );
    expect(await finishedRun(out, true)).toEqual(await finishedRun(join(root, 'unreadable-reference')));
  });

  it('resumes a checkpoint cut inside a batch from the batch’s start, giving the uninterrupted bits', async () => {
    const reference = await finishedRun(join(root, 'torn-reference'));
    const out = join(root, 'torn');
    await stoppedRun(out, 3);
    // 12 items of 2 float32 scores; a write cut after 10 items and a half.
    const scores = join(out, '.evaluate.partial.f32');
    expect(statSync(scores).size).toBe(12 * 2 * 4);
    truncateSync(scores, 10 * 2 * 4 + 4);
    const resumed = await finishedRun(out);
    expect(Buffer.from(resumed.buffer)).toEqual(Buffer.from(reference.buffer));
    expect(JSON.parse(readFileSync(join(out, 'meta.json'), 'utf8')).timings.items_scored_now).toBe(32);
  });
});
