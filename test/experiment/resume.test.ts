import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadExperimentConfig } from '../../src/experiment/config.js';
import { runExperiment } from '../../src/experiment/experiment.js';
import { EXPERIMENT_MANIFEST, SETTING_MARKER, type ExperimentManifest } from '../../src/experiment/manifest.js';
import { expectSameOutputs } from '../helpers/same-outputs.js';
import { writeGrid } from './pool-files.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const root = mkdtempSync(join(tmpdir(), 'at-resume-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  events: Array<Record<string, unknown>>;
  stderr: string;
}

/**
 * Runs `active-testing experiment --json` from source. With `killAfter`, sends SIGKILL as soon as
 * that many settings have reported `setting-done`: an interruption with no chance to clean up.
 */
function runCli(args: string[], killAfter?: number): Promise<CliRun> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(repo, 'src/cli/main.ts'), 'experiment', ...args, '--json'], {
    cwd: repo,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const events: Array<Record<string, unknown>> = [];
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  createInterface({ input: child.stdout }).on('line', (line) => {
    const event = JSON.parse(line) as Record<string, unknown>;
    events.push(event);
    if (killAfter !== undefined && events.filter((e) => e.event === 'setting-done').length === killAfter) child.kill('SIGKILL');
  });
  return new Promise((done) => child.on('close', (code, signal) => done({ code, signal, events, stderr })));
}

describe('experiment resume after a kill', () => {
  it('finishes the grid without recomputing the settings completed before the kill', async () => {
    const configPath = writeGrid(join(root, 'inputs'), { size: 10_000, runs: 1000, labels: 400 });
    const out = join(root, 'grid');
    const args = ['--config', configPath, '--out', out, '--threads', '1'];

    const killed = await runCli(args, 1);
    expect(killed.signal).toBe('SIGKILL');
    const manifest = JSON.parse(readFileSync(join(out, EXPERIMENT_MANIFEST), 'utf8')) as ExperimentManifest;
    const finished = manifest.settings.filter((s) => existsSync(join(out, s.folder, SETTING_MARKER)));
    // The kill landed while a later setting was running: the grid really was interrupted.
    expect(finished.length).toBeGreaterThanOrEqual(1);
    expect(finished.length).toBeLessThan(manifest.settings.length);
    const kept = new Map(finished.map((s) => [s.folder, statSync(join(out, s.folder, 'estimates.npy')).mtimeMs]));

    const resumed = await runCli(args);
    expect(resumed.code, resumed.stderr).toBe(0);
    const skipped = resumed.events.filter((e) => e.event === 'skipped').map((e) => e.name);
    const ran = resumed.events.filter((e) => e.event === 'setting-done').map((e) => e.name);
    expect(skipped).toEqual(finished.map((s) => s.name));
    expect(ran).toEqual(manifest.settings.filter((s) => !kept.has(s.folder)).map((s) => s.name));
    for (const [folder, mtime] of kept) expect(statSync(join(out, folder, 'estimates.npy')).mtimeMs).toBe(mtime);

    // The interrupted-and-resumed grid holds exactly what one uninterrupted run produces.
    const reference = join(root, 'reference');
    await runExperiment(loadExperimentConfig(configPath), { out: reference, threads: 1 });
    expectSameOutputs(out, reference);
  });
});
