import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BUILT_CLI, sessionWithAnswers } from '../faults/children.js';
import { runCliCaptured } from '../helpers/cli.js';

const root = mkdtempSync(join(tmpdir(), 'at-label-studio-signal-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** How many proposals the session file holds, whole records only. */
const proposals = (session: string) =>
  readFileSync(session, 'utf8')
    .split('\n')
    .filter((line) => line.endsWith('}') && line.includes('"e":"propose"')).length;

describe('label --export label-studio stopped by a signal while it proposes', () => {
  it('stops at the end of the chunk of 256 proposals it was in, keeps them, leaves no temporary nor lock and exits 130 in one line', async () => {
    const dir = mkdtempSync(join(root, 'proposing-'));
    const { session } = await sessionWithAnswers(dir, 600, 5);
    const uninterrupted = join(dir, 'uninterrupted.session');
    copyFileSync(session, uninterrupted);
    const tasks = join(dir, 'tasks.json');
    const command = (path: string, file: string) => ['label', '--session', path, '--export', 'label-studio', file, '--max-labels', '600'];
    // Each proposal's write is held 8 ms: the first 256 take about 2 s, and the signal is sent
    // once 3 of them are on disk. Proposed in one call, all 600 were proposed before it was heard.
    const child = spawn(process.execPath, [BUILT_CLI, ...command(session, tasks)], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, ACTIVE_TESTING_FAULT_DELAY_MS: 'journal:append=8' },
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((done) => child.on('close', (code) => done(code)));
    let finished = false;
    void exited.then(() => (finished = true));
    try {
      while (!finished && proposals(session) < 3) await new Promise((r) => setTimeout(r, 5));
      child.kill('SIGINT');
      expect(await exited).toBe(130);
    } finally {
      child.kill('SIGKILL');
    }
    expect(stderr).toBe(`active-testing label: interrupted by SIGINT; ${tasks} was not written; run the same command to export\n`);
    expect(proposals(session)).toBe(256);
    expect(existsSync(tasks)).toBe(false);
    expect(existsSync(`${session}.lock`)).toBe(false);
    expect(readdirSync(dir).filter((name) => name.startsWith('.'))).toEqual([]);

    // The same command proposes the rest: the session and the tasks are those of a run not stopped.
    const rerun = await runCliCaptured(command(session, tasks));
    expect(rerun.code, rerun.stderr).toBe(0);
    const whole = join(dir, 'whole.json');
    expect((await runCliCaptured(command(uninterrupted, whole))).code).toBe(0);
    expect(readFileSync(session, 'utf8')).toBe(readFileSync(uninterrupted, 'utf8'));
    expect(readFileSync(tasks, 'utf8')).toBe(readFileSync(whole, 'utf8'));
  });
});
