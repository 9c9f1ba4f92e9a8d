import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { writeGrid } from './pool-files.js';
import { runCliCaptured } from '../helpers/cli.js';

const root = mkdtempSync(join(tmpdir(), 'at-experiment-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

const cli = runCliCaptured;

describe('active-testing experiment', () => {
  it('prints help (0), rejects usage errors (2) and bad input (1)', async () => {
    expect((await cli(['experiment', '--help'])).lines[0]).toMatch(/^Usage: active-testing experiment --config grid\.json/);
    expect((await cli(['experiment', '--out', root])).code).toBe(2);
    expect((await cli(['experiment', '--config', 'x.json', '--out', root, '--threads', 'many'])).code).toBe(2);
    const missing = await cli(['experiment', '--config', join(root, 'missing.json'), '--out', root]);
    expect(missing.code).toBe(1);
    const bad = join(root, 'bad.json');
    writeFileSync(bad, JSON.stringify({ modelScores: 'f.npy', labels: 'y.npy', settings: [{ acquisition: 'surrogate-xx' }] }));
    const badSetting = await cli(['experiment', '--config', bad, '--out', root]);
    expect(badSetting.code).toBe(1);
    expect(badSetting.stderr).toMatch(/settings\[0\]\.acquisition: expected one of iid \| true-loss/);
  });

  it('names every key a grid takes in its help', async () => {
    const help = (await cli(['experiment', '--help'])).stdout;
    // The keys resolveExperimentConfig accepts, top level and per setting (its unknown-key message lists them).
    const known = async (grid: object) => {
      const path = join(root, 'keys.json');
      writeFileSync(path, JSON.stringify(grid));
      const valid = (await cli(['experiment', '--config', path, '--out', join(root, 'keys')])).stderr.match(/\(valid: (.*)\)/)?.[1];
      return (valid as string).split(', ');
    };
    const topLevel = await known({ unknownKey: 1 });
    const setting = await known({ modelScores: 'f.npy', labels: 'y.npy', settings: [{ acquisition: 'iid', unknownKey: 1 }] });
    expect(topLevel).toContain('numerics');
    expect(topLevel.filter((key) => !help.includes(`"${key}"`))).toEqual([]);
    expect(setting.filter((key) => !new RegExp(`\\b${key}\\b`).test(help.split('Setting fields:')[1] as string))).toEqual([]);
  });

  it('runs the grid, prints JSON events, then keeps finished settings on a second run', async () => {
    const config = writeGrid(join(root, 'inputs'), { size: 300, runs: 20, labels: 30 });
    const out = join(root, 'grid');
    const first = await cli(['experiment', '--config', config, '--out', out, '--json', '--threads', '1']);
    expect(first.code, first.stderr).toBe(0);
    const events = first.lines.map((line) => JSON.parse(line));
    expect(events.map((e) => e.event)).toEqual(['start', ...Array(4).fill(['setting-start', 'setting-done']).flat(), 'done']);
    const second = await cli(['experiment', '--config', config, '--out', out, '--threads', '1']);
    expect(second.code).toBe(0);
    expect(second.lines[0]).toBe(`4 settings, 4 already finished; output in ${out}`);
    expect(second.lines.filter((l) => l.endsWith('finished earlier, kept'))).toHaveLength(4);
    expect(second.lines.at(-1)).toMatch(/Next: active-testing report /);
  });
});
