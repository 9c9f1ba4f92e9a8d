import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ActiveTestingSession } from '../../src/session/session.js';
import { writePoolFiles as writeSimulationInputs } from '../faults/pool-files.js';
import { CLI, createArgs, writePoolFiles } from './cli-pool.js';

const PTY_RUN = resolve(import.meta.dirname, '../helpers/pty-run.py');

interface PtyRun {
  status: number | null;
  signal: string | null;
  screen: string;
  stderr: string;
  rawMode?: boolean;
}

/** Runs `config` (see pty-run.py) on a pseudo-terminal; pty-run.py kills a command still running past its deadline. */
function onTerminal(config: object, env: NodeJS.ProcessEnv = process.env): PtyRun {
  const run = spawnSync('python3', [PTY_RUN, JSON.stringify(config)], { encoding: 'utf8', timeout: 60_000, env });
  expect(run.error, 'python3 with its pty module is needed').toBeUndefined();
  expect(run.stderr).toBe('');
  return JSON.parse(run.stdout) as PtyRun;
}

/** Runs `label` on a pseudo-terminal, labels one item with key 1, then stops it with `stop`. */
function labelOnTerminal(args: string[], stop: { kill: string } | { hangup: true }): PtyRun {
  return onTerminal({ argv: [process.execPath, ...CLI, ...args], ready: '[q] quit', keys: [['1', 'Labelled ']], ...stop });
}

describe('active-testing label on a terminal, stopped by a signal', () => {
  it.each([
    ['SIGTERM', 143],
    ['SIGHUP', 129],
    ['SIGINT', 130],
  ])('%s: keeps the label, restores the terminal, releases the lock and exits %i', async (name, code) => {
    const files = await writePoolFiles(40, 5);
    const path = join(files.dir, 's.session');
    const run = labelOnTerminal(createArgs(files, path, 1), { kill: name });
    expect(run.signal).toBeNull();
    expect(run.status).toBe(code);
    // After the warning that the pool's label column is not read.
    expect(run.stderr.split('\n').slice(1)).toEqual([
      `active-testing label: interrupted by ${name}; 1 label and 0 skips are saved in ${path}; run the same command to resume`,
      '',
    ]);
    expect(run.rawMode).toBe(false);
    // Bracketed paste, asked for on start, is turned off again.
    expect(run.screen.lastIndexOf('\x1b[?2004l')).toBeGreaterThan(run.screen.lastIndexOf('\x1b[?2004h'));
    expect(existsSync(`${path}.lock`)).toBe(false);
    const session = await ActiveTestingSession.open(path, { readOnly: true });
    expect(session.estimate().recorded).toBe(1);
    await session.close();
  });

  it('the terminal closed (SIGHUP, writes failing): keeps the label, releases the lock and exits 129', async () => {
    const files = await writePoolFiles(40, 6);
    const path = join(files.dir, 's.session');
    const run = labelOnTerminal(createArgs(files, path, 1), { hangup: true });
    expect(run.signal).toBeNull();
    expect(run.status).toBe(129);
    // Standard error is no terminal here, so the line still reaches it.
    expect(run.stderr.split('\n').slice(1)).toEqual([
      `active-testing label: interrupted by SIGHUP; 1 label and 0 skips are saved in ${path}; run the same command to resume`,
      '',
    ]);
    expect(existsSync(`${path}.lock`)).toBe(false);
    const session = await ActiveTestingSession.open(path, { readOnly: true });
    expect(session.estimate().recorded).toBe(1);
    await session.close();
  });

  it('the terminal closed before the first prompt, the session just opened: releases the lock and exits 129', async () => {
    const files = await writePoolFiles(40, 7);
    const path = join(files.dir, 's.session');
    // The pause holds the session open, its lock taken, until after the terminal has closed.
    const env = { ...process.env, ACTIVE_TESTING_FAULT_DELAY_MS: 'label:opened=2000' };
    const run = onTerminal(
      { argv: [process.execPath, ...CLI, ...createArgs(files, path, 1)], readyFile: `${path}.lock`, hangup: true },
      env,
    );
    expect(run.signal).toBeNull();
    expect(run.stderr.split('\n').slice(1)).toEqual([
      `active-testing label: interrupted by SIGHUP; 0 labels and 0 skips are saved in ${path}; run the same command to resume`,
      '',
    ]);
    expect(run.status).toBe(129);
    expect(existsSync(`${path}.lock`)).toBe(false);
  });
});

describe('active-testing serve on a terminal', () => {
  it('the terminal closed (SIGHUP, writes failing): stops, releases the lock and exits 0', () => {
    const dir = mkdtempSync(join(tmpdir(), 'at-serve-pty-'));
    try {
      const path = join(dir, 's.session');
      const run = onTerminal({
        argv: [process.execPath, ...CLI, 'serve', '--demo', '--session', path, '--port', '0'],
        ready: 'Stop with Ctrl-C',
        hangup: true,
      });
      expect(run.signal).toBeNull();
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      expect(existsSync(`${path}.lock`)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a command that has returned, on a terminal', () => {
  it("the terminal closed (SIGHUP) before the process ends: exits with the command's code", () => {
    // The pause holds the process once `--version` has returned, until after the terminal has
    // closed; the terminal closes a second after the version is shown, when the command has
    // returned (a SIGHUP before it returns ends the process as killed by it: nothing listens yet).
    const env = { ...process.env, ACTIVE_TESTING_FAULT_DELAY_MS: 'cli:done=5000' };
    const run = onTerminal({ argv: [process.execPath, ...CLI, '--version'], ready: '0.1.0', settle: 1, hangup: true }, env);
    // Not killed by Node's failure to restore a closed terminal's modes as it exits (SIGABRT or SIGSEGV).
    expect(run.signal).toBeNull();
    expect(run.status).toBe(0);
    expect(run.stderr).toBe('');
  });
});

describe('active-testing simulate on a terminal', () => {
  it('the terminal closed (SIGHUP) while it writes: removes its temporaries, its lock and its folder, and exits 129', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'at-simulate-pty-'));
    try {
      const { f, y } = await writeSimulationInputs(dir, 120, 3, 4);
      const out = join(dir, 'out');
      const argv = [process.execPath, ...CLI, 'simulate', '--model-scores', f, '--labels', y, '--runs', '20', '--size', '30'];
      // Each step of its output writes is held 400 ms: the terminal closes once it holds its lock,
      // with its writes yet to finish.
      const env = { ...process.env, ACTIVE_TESTING_FAULT_DELAY_MS: 'output:step=400' };
      const run = onTerminal(
        { argv: [...argv, '--threads', '1', '--out', out], readyFile: join(out, '.active-testing.lock'), hangup: true },
        env,
      );
      // Not killed by SIGHUP, nor by Node's abort on restoring a closed terminal's modes as it exits.
      expect(run.signal).toBeNull();
      expect(run.status).toBe(129);
      expect(run.stderr).toBe('active-testing simulate: interrupted by SIGHUP; nothing of its results was written\n');
      expect(existsSync(out)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
