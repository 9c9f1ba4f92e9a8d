import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeNpy } from '../../src/io/npy.js';
import { syntheticPool } from '../../src/simulate/syntheticPool.js';
import { runCliCaptured } from '../helpers/cli.js';

// A command's messages name the options they mention by its flags, not by the library's keys.
const N = 40;
const K = 2;
let dir: string;
let scores: string[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'option-words-'));
  const pool = syntheticPool({ poolSize: N, classCount: K, seed: 3 });
  const f = join(dir, 'f.npy');
  const g = join(dir, 'g.npy');
  const y = join(dir, 'y.npy');
  await writeNpy(f, { data: pool.modelScores.data, shape: [N, K], dtype: 'f8' });
  await writeNpy(g, { data: pool.surrogateScores.data, shape: [N, K], dtype: 'f8' });
  await writeNpy(y, { data: BigInt64Array.from(pool.labels, BigInt), shape: [N], dtype: 'i8' });
  scores = ['--model-scores', f, '--surrogate-scores', g, '--labels', y];
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function failure(...argv: string[]): Promise<string> {
  const run = await runCliCaptured(argv);
  expect(run.code).toBe(1);
  return run.stderr.trim();
}

describe('options named inside a message, on the command line', () => {
  it('simulate: --size, --bootstrap none and --numerics reference by their flags', async () => {
    const out = join(dir, 'out');
    expect(await failure('simulate', ...scores, '--size', '10', '--step', '1000', '--out', out)).toBe(
      'active-testing simulate: --step: expected an integer in [1, 10] (at most --size, the labels per run), got 1000',
    );
    expect(await failure('simulate', ...scores, '--interval', 'bootstrap', '--bootstrap', 'none', '--out', out)).toBe(
      `active-testing simulate: --interval: expected a bootstrap variance for 'bootstrap' (not --bootstrap none), got "bootstrap"`,
    );
    expect(await failure('simulate', ...scores.slice(0, 2), ...scores.slice(4), '--defensive', '0.3', '--out', out)).toBe(
      "active-testing simulate: --defensive: expected no defensive weight with iid acquisition, the default without --surrogate-scores (give them to mix a surrogate's proposal with uniform), got 0.3",
    );
    expect(await failure('simulate', ...scores, '--clip=-0.1', '--out', out)).toBe(
      'active-testing simulate: --clip: expected a clip fraction in (0, 1) (0 only under --numerics reference): every item needs a proposal probability above 0, got -0.1',
    );
  });

  it('evaluate: --icl-examples and --instruction by their flags', async () => {
    const common = ['evaluate', '--model', 'openai:http://127.0.0.1:9/v1#m', '--data', join(dir, 'pool.tsv'), '--classes', 'a,b'];
    expect(await failure(...common, '--icl-data', join(dir, 'icl.tsv'), '--out', join(dir, 'e1'))).toBe(
      'active-testing evaluate: --icl-data: expected in-context examples with it: --icl-examples ≥ 1',
    );
    expect(await failure(...common, '--instruction', 'x', '--instruction-file', 'y', '--out', join(dir, 'e2'))).toBe(
      'active-testing evaluate: --instruction-file: expected no --instruction beside it: the instruction or its file',
    );
  });

  it("experiment: a step's other options by the grid's keys of that step", async () => {
    const grid = join(dir, 'served-grid.json');
    await writeFile(join(dir, 'pool.tsv'), 'sentence\tlabel\nthe film was good\t1\nthe film was bad\t0\n');
    await writeFile(
      grid,
      JSON.stringify({
        evaluate: { served: { model: 'openai:http://user:secret@127.0.0.1:9/v1#m', data: 'pool.tsv', classes: 'a,b' } },
        modelScores: 'evaluate:served',
        labels: scores[5],
        settings: [{ acquisition: 'iid' }],
      }),
    );
    expect(await failure('experiment', '--config', grid, '--out', join(dir, 'x1'))).toBe(
      `active-testing experiment: ${grid}: evaluate.served.model: expected openai:<http(s) base URL>#<model name>, e.g. openai:http://localhost:8000/v1#my-model, without credentials in the URL: put the key in OPENAI_API_KEY (or the variable named by evaluate.served.apiKeyEnv), got "openai:http://***@127.0.0.1:9/v1#m"`,
    );
  });
});

describe("label's help lines of options shared with other commands", () => {
  it('speak of what a session does: no label column, no reference numerics, no true-loss', async () => {
    const help = (await runCliCaptured(['label', '--help'])).stdout.replace(/\s+/g, ' ');
    expect(help).toContain('--classes A,B,... class names, in the order of the score columns --model-scores');
    expect(help).toContain(
      '--clip C floor of the proposal, as a fraction of the uniform probability, in (0, 1); ignored by iid (default 0.1)',
    );
    expect(help).toContain(
      "--temperature T temperature of the surrogate (surrogate-*, adaptive) or of the target (self-entropy); ignored by iid (it uses no model's probabilities)",
    );
    expect(help).not.toMatch(/label column|reference numerics|true-loss \(they/);
  });
});
