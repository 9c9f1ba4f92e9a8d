import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ActiveTestingSession } from '../../src/session/session.js';
import { CLI, createArgs, writePoolFiles } from './cli-pool.js';

const PTY_RUN = resolve(import.meta.dirname, '../helpers/pty-run.py');

interface PtyRun {
  status: number | null;
  signal: string | null;
  screen: string;
  stderr: string;
  rawMode?: boolean;
}

/** Runs `label` on a pseudo-terminal, labels one item with key 1, then stops it with `stop`. */
function labelOnTerminal(args: string[], stop: { kill: string } | { hangup: true }): PtyRun {
  const config = { argv: [process.execPath, ...CLI, ...args], ready: '[q] quit', keys: [['1', 'Labelled ']], ...stop };
  const run = spawnSync('python3', [PTY_RUN, JSON.stringify(config)], { encoding: 'utf8' });
  expect(run.stderr).toBe('');
  return JSON.parse(run.stdout) as PtyRun;
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
});
