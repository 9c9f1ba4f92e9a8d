import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TextClassificationDataset } from '../../src/dataset/text-classification-dataset.js';
import { readNpy } from '../../src/io/npy.js';
import { itemPrompt, promptPrefix, REFERENCE_TEMPLATE } from '../../src/evaluation/prompt.js';
import { OpenAIBackend } from '../../src/model/backends/openai.js';
import { labelTokenIds } from '../../src/model/label-tokens.js';
import { DATA_DIR, sharedAvailable } from '../helpers/shared.js';
import { CompletionsTestServer } from './server.js';

const repoRoot = resolve(import.meta.dirname, '../..');
const tsv = resolve(DATA_DIR, 'sst2/validation.tsv');
const modelDir = resolve(repoRoot, 'test/models/tiny-gpt2');
const ROWS = 40;
const K = 2;

/** `active-testing evaluate` through the server, as a separate process (run from the sources with tsx). */
function startEvaluate(spec: string, out: string): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const args = [
    '--data',
    tsv,
    '--classes',
    'negative,positive',
    '--limit',
    String(ROWS),
    '--batch-size',
    '4',
    '--concurrency',
    '2',
    '--out',
    out,
  ];
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'evaluate', '--model', spec, ...args], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => text, exited };
}

function rowsOnDisk(out: string): number {
  const path = join(out, '.evaluate.partial.f32');
  return existsSync(path) ? Math.floor(statSync(path).size / (4 * K)) : 0;
}

async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.skipIf(!sharedAvailable(tsv))('a remote evaluate killed with SIGKILL', () => {
  let server: CompletionsTestServer;
  let dir: string;

  beforeAll(async () => {
    server = await CompletionsTestServer.start({ modelDir });
    dir = mkdtempSync(join(tmpdir(), 'at-openai-resume-'));
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('resumes from its checkpoint without re-requesting finished batches, with the same scores', async () => {
    const out = join(dir, 'run');
    // Slow answers keep the run busy long enough to be killed in the middle.
    server.stickyFault = { fault: { kind: 'slow', delayMs: 80 } };
    const first = startEvaluate(server.spec, out);
    await until(() => rowsOnDisk(out) >= 16, 60_000, 'four batches on disk');
    first.child.kill('SIGKILL');
    expect(await first.exited).toBeNull();
    const onDisk = rowsOnDisk(out);
    expect(onDisk).toBeGreaterThanOrEqual(16);
    expect(onDisk).toBeLessThan(ROWS);

    server.stickyFault = undefined;
    await server.idle();
    const before = server.answeredCompletions().length;
    const second = startEvaluate(server.spec, out);
    expect(await second.exited, second.output()).toBe(0);
    const meta = JSON.parse(readFileSync(join(out, 'meta.json'), 'utf8')) as { timings: { items_scored_now: number } };
    expect(meta.timings.items_scored_now).toBe(ROWS - onDisk);
    const resumed = (await readNpy(join(out, 'scores.npy'))).data as Float32Array;

    // What the second run asked for: exactly the items that were not on disk, each once per label.
    const backend = OpenAIBackend.fromSpec(server.spec);
    // The prompts evaluate builds: no instruction unless given, the reference's template.
    const dataset = await TextClassificationDataset.fromFile(
      tsv,
      { name: 'data', classes: ['negative', 'positive'], answerString: 'Label', instruction: '' },
      { limit: ROWS },
    );
    const prefix = promptPrefix(dataset.instruction, [], dataset.answerString, REFERENCE_TEMPLATE);
    const prompts = dataset.texts.map((text) => itemPrompt(prefix, text, dataset.answerString, REFERENCE_TEMPLATE));
    const itemIds = await Promise.all(prompts.map((p) => backend.tokenize(p)));
    const requested = server
      .answeredCompletions()
      .slice(before)
      .flatMap((r) => r.prompts as number[][])
      .map((sequence) => JSON.stringify(sequence.slice(0, -1)));
    const requestedItems = itemIds.map((ids) => requested.filter((s) => s === JSON.stringify(ids)).length);
    expect(requestedItems).toEqual(itemIds.map((_, item) => (item < onDisk ? 0 : K)));

    // And the result equals an uninterrupted scoring of all items.
    const labelIds = await labelTokenIds(backend, prompts[0], dataset.classes);
    const clean = await backend.scoreBatch(prompts, labelIds);
    expect(Array.from(resumed)).toEqual(Array.from(clean));
  });
});
