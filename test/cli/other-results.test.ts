import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDemo } from '../../src/report/demo.js';
import { DEMO_FOLDERS } from '../../src/simulate/outputs.js';
import { BUILT_CLI } from '../faults/children.js';
import { modelDir } from '../model/fixtures.js';
import { tinyEvaluateFlags } from '../faults/evaluate-args.js';
import { writeReviewTsv } from '../helpers/review-tsv.js';

const root = mkdtempSync(join(tmpdir(), 'at-other-results-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Every file below `dir` with a hash of its bytes: what a refused command must leave as it was. */
function snapshot(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files[relative(dir, path)] = createHash('sha256').update(readFileSync(path)).digest('hex');
  }
  return files;
}

function cli(args: string[]): { status: number | null; stderr: string } {
  const { status, stderr } = spawnSync(process.execPath, [BUILT_CLI, ...args], { encoding: 'utf8' });
  return { status, stderr };
}

const data = join(root, 'pool.tsv');
const evaluateArgs = (out: string) => ['evaluate', ...tinyEvaluateFlags(data, out, '--force')];

beforeAll(() => {
  writeReviewTsv(data, 40);
});

describe("a command's --out inside a demo's folder", () => {
  const demo = join(root, 'demo');
  let before: Record<string, string>;
  beforeAll(async () => {
    await runDemo({ runs: 20, out: demo, threads: 1 });
    before = snapshot(demo);
  });

  it('evaluate --force --out DEMO/pool is refused in one line, before any work, and writes nothing', () => {
    const run = cli(evaluateArgs(join(demo, 'pool')));
    expect(run.status).toBe(1);
    expect(run.stderr).toBe(
      `active-testing evaluate: --out: expected a folder outside a demo's or an experiment's results, which would no longer match their files (even with --force); choose a folder outside the demo, got "${join(demo, 'pool')}" (it is the pool folder of the demo in ${demo}, whose results were computed from its files)\n`,
    );
    expect(snapshot(demo)).toEqual(before);
  });

  it("simulate --force into the demo's run folders is refused alike", () => {
    const pool = join(demo, 'pool');
    for (const run of ['iid', 'adaptive-lure']) {
      const simulate = cli([
        'simulate',
        '--model-scores',
        join(pool, 'model_scores.npy'),
        '--labels',
        join(pool, 'labels.npy'),
        '--acquisition',
        'iid',
        '--runs',
        '20',
        '--force',
        '--out',
        join(demo, run),
      ]);
      expect(simulate.status, run).toBe(1);
      expect(simulate.stderr, run).toMatch(
        new RegExp(`^active-testing simulate: --out: expected a folder outside .*\\(it is the ${run} folder of the demo in .*\\)\\n$`),
      );
    }
    expect(snapshot(demo)).toEqual(before);
  });

  it('evaluate --out through a symbolic link to DEMO/pool, or to the demo with a path below it, is refused alike', () => {
    const link = join(root, 'demo-pool-link');
    symlinkSync(join(demo, 'pool'), link);
    const demoLink = join(root, 'demo-link');
    symlinkSync(demo, demoLink);
    for (const out of [link, join(demoLink, 'report')]) {
      const run = cli(evaluateArgs(out));
      expect(run.status, out).toBe(1);
      expect(run.stderr, out).toMatch(
        new RegExp(
          `^active-testing evaluate: --out: expected a folder outside .*, got "${out}" \\(it is the (pool|report) folder of the demo in ${demo}, .*\\)\\n$`,
        ),
      );
    }
    expect(snapshot(demo)).toEqual(before);
  });

  it('lists in DEMO_FOLDERS every folder the demo writes, which --out may not name', () => {
    const folders = readdirSync(demo, { withFileTypes: true }).filter((entry) => entry.isDirectory());
    expect(folders.map((entry) => entry.name).sort()).toEqual([...DEMO_FOLDERS].sort());
  });
});

describe("a command's --out inside an experiment's folder", () => {
  const grid = join(root, 'grid');
  const out = join(root, 'experiment');
  let before: Record<string, string>;
  beforeAll(() => {
    mkdirSync(grid, { recursive: true });
    const config = {
      evaluate: { target: { model: modelDir('tiny-gpt2'), data, classes: 'negative,positive' } },
      modelScores: 'evaluate:target',
      labels: 'evaluate:target',
      runs: 5,
      size: 10,
      settings: [{ acquisition: 'iid' }, { acquisition: 'self-entropy' }],
    };
    writeFileSync(join(grid, 'grid.json'), JSON.stringify(config));
    const run = cli(['experiment', '--config', join(grid, 'grid.json'), '--out', out, '--threads', '1']);
    expect(run.status, run.stderr).toBe(0);
    before = snapshot(out);
  }, 60_000);

  it("evaluate --force into an evaluate step's folder is refused, saying to delete it and run the experiment to score it again", () => {
    const step = join(out, 'scores', 'target');
    const run = cli([...evaluateArgs(step), '--instruction', 'Is this review positive?']);
    expect(run.status).toBe(1);
    expect(run.stderr).toBe(
      `active-testing evaluate: --out: expected a folder outside a demo's or an experiment's results, which would no longer match their files (even with --force); choose a folder outside the experiment (to score the step again, delete ${step} and run the experiment again: it keeps a step's complete results, also with --force), got "${step}" (it is the folder of the evaluate step target of the experiment in ${out}, whose settings were computed from its scores)\n`,
    );
    expect(snapshot(out)).toEqual(before);
  });

  /** `simulate --force --out folder`, a run of a setting's shape on the experiment's own step scores. */
  const simulateOnStepScores = (folder: string): ReturnType<typeof cli> => {
    const scores = join(out, 'scores', 'target');
    return cli(
      ['simulate', '--model-scores', join(scores, 'scores.npy'), '--labels', join(scores, 'labels.npy'), '--acquisition', 'iid'].concat([
        '--runs',
        '5',
        '--size',
        '10',
        '--seed',
        '9',
        '--force',
        '--out',
        folder,
      ]),
    );
  };

  it("simulate --force into a setting's folder is refused: a run of the same shape would pass for the setting's", () => {
    const setting = join(out, 'random-i.i.d.');
    expect(before[join('random-i.i.d.', 'setting.json')]).toBeDefined();
    const run = simulateOnStepScores(setting);
    expect(run.status).toBe(1);
    expect(run.stderr).toBe(
      `active-testing simulate: --out: expected a folder outside a demo's or an experiment's results, which would no longer match their files (even with --force); choose a folder outside the experiment, got "${setting}" (it is the folder of a setting of the experiment in ${out}, which the experiment and report read)\n`,
    );
    expect(snapshot(out)).toEqual(before);
  });

  it('leaves a sibling folder of the experiment and an unlisted folder under its scores/ to the command', () => {
    try {
      for (const folder of [join(root, 'beside-experiment'), join(out, 'scores', 'unlisted')]) {
        const run = cli(evaluateArgs(folder));
        expect(run.status, run.stderr).toBe(0);
        expect(readdirSync(folder), folder).toContain('scores.npy');
      }
      // The experiment's own files are as they were; report names the unlisted run, the experiment ignores it.
      const after = snapshot(out);
      for (const [name, hash] of Object.entries(before)) expect(after[name], name).toBe(hash);
    } finally {
      // The later tests compare the experiment's folder with its first snapshot.
      rmSync(join(out, 'scores', 'unlisted'), { recursive: true, force: true });
    }
  }, 60_000);

  it("simulate --force through a symbolic link to a setting's folder is refused alike, and the setting kept", () => {
    const link = join(root, 'setting-link');
    symlinkSync(join(out, 'random-i.i.d.'), link);
    const run = simulateOnStepScores(link);
    expect(run.status).toBe(1);
    expect(run.stderr).toBe(
      `active-testing simulate: --out: expected a folder outside a demo's or an experiment's results, which would no longer match their files (even with --force); choose a folder outside the experiment, got "${link}" (it is the folder of a setting of the experiment in ${out}, which the experiment and report read)\n`,
    );
    expect(snapshot(out)).toEqual(before);
  });
});
