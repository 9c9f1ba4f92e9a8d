import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliCaptured } from '../helpers/cli.js';
import { writePoolFiles } from './pool-files.js';

const root = mkdtempSync(join(tmpdir(), 'at-lock-zombie-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let f: string;
let y: string;

beforeAll(async () => {
  ({ f, y } = await writePoolFiles(root, 60, 3, 2));
});

const state = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return '';
  }
};

/** A zombie: a child of `sleep` (which never reaps it) that has exited; the zombie lasts as long as the sleep. */
async function zombie(): Promise<{ pid: number; stop: () => void }> {
  const parent = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 20'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const pid = await new Promise<number>((done) => parent.stdout.once('data', (chunk: Buffer) => done(Number(chunk.toString().trim()))));
  while (state(pid) !== 'Z') await new Promise((r) => setTimeout(r, 10));
  return { pid, stop: () => parent.kill('SIGKILL') };
}

describe.runIf(process.platform === 'linux')('a lock whose process is a zombie (killed, not yet reaped)', () => {
  it('is taken over, as the lock of a process that is gone', async () => {
    const { pid, stop } = await zombie();
    try {
      const out = join(root, 'out');
      mkdirSync(out);
      const lock = join(out, '.active-testing.lock');
      writeFileSync(lock, JSON.stringify({ pid, host: hostname() }));
      const run = await runCliCaptured(['simulate', '--model-scores', f, '--labels', y, '--runs', '5', '--size', '5', '--out', out]);
      expect(run.code, run.stderr).toBe(0);
      expect(existsSync(lock)).toBe(false);
      expect(readdirSync(out)).toContain('summary.json');
    } finally {
      stop();
    }
  });
});
