import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { CLOSED_OUTPUT_EXIT, handleClosedOutput } from '../../src/cli/closed-output.js';
import { evaluateCommand } from '../../src/cli/evaluate.js';
import { experimentCommand } from '../../src/cli/experiment.js';
import { reportCommand } from '../../src/cli/report.js';
import { simulateCommand } from '../../src/cli/simulate.js';
import { EXPERIMENT_MANIFEST, SETTING_MARKER } from '../../src/experiment/manifest.js';
import { writeGrid } from '../experiment/pool-files.js';
import { BUILT_CLI } from '../faults/children.js';

const root = mkdtempSync(join(tmpdir(), 'at-closed-output-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface ClosedRun {
  code: number | null;
  stderr: string;
  /** What the child printed before its reader went away. */
  received: string;
}

/**
 * Runs the built CLI with its standard output read by nobody from `closeAfter` on: the read end
 * of the pipe is closed at once (`start`) or as soon as the first chunk arrives (`first-chunk`),
 * as `| head -c 1` does; every write after that fails with EPIPE.
 */
function runWithClosedOutput(args: string[], closeAfter: 'start' | 'first-chunk'): Promise<ClosedRun> {
  return new Promise((done, failed) => {
    const child = spawn(process.execPath, [BUILT_CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let received = '';
    let stderr = '';
    if (closeAfter === 'start') child.stdout.destroy();
    else
      child.stdout.once('data', (chunk: Buffer) => {
        received += chunk.toString();
        child.stdout.destroy();
      });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', failed);
    child.on('close', (code) => done({ code, stderr, received }));
  });
}

describe('a command whose standard output is closed by its reader', () => {
  const inputs = join(root, 'inputs');
  const grid = writeGrid(inputs, { size: 200, runs: 4, labels: 10 });

  it('simulate stops printing its table and exits quietly with 141, its outputs written', async () => {
    const out = join(root, 'simulate');
    const run = await runWithClosedOutput(
      [
        'simulate',
        '--model-scores',
        join(inputs, 'target.npy'),
        '--labels',
        join(inputs, 'labels.npy'),
        '--runs',
        '3',
        '--size',
        '10',
        '--out',
        out,
      ],
      'start',
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(CLOSED_OUTPUT_EXIT);
    expect(CLOSED_OUTPUT_EXIT).toBe(141);
    expect(existsSync(join(out, 'summary.json'))).toBe(true);
  });

  it('a command that finishes its work still exits 141 for its --help, as `help <command>` does', async () => {
    for (const args of [
      ['experiment', '--help'],
      ['evaluate', '-h'],
      ['label', '--help'],
      ['serve', '--help'],
      ['help', 'serve'],
    ]) {
      const run = await runWithClosedOutput(args, 'start');
      expect(run.stderr, args.join(' ')).toBe('');
      expect(run.code, args.join(' ')).toBe(CLOSED_OUTPUT_EXIT);
    }
  });

  it('experiment finishes every setting and its results, printing nothing more, and exits 0', async () => {
    const out = join(root, 'experiment');
    const run = await runWithClosedOutput(['experiment', '--config', grid, '--out', out, '--json', '--threads', '1'], 'first-chunk');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.received.split('\n')[0] as string)).toMatchObject({ event: 'start' });
    const manifest = JSON.parse(readFileSync(join(out, EXPERIMENT_MANIFEST), 'utf8')) as { settings: { folder: string }[] };
    expect(manifest.settings).toHaveLength(4);
    for (const { folder } of manifest.settings) expect(existsSync(join(out, folder, SETTING_MARKER)), folder).toBe(true);
  });

  it("lists 141 in the --help of simulate and report, which exit with it, not in experiment's or evaluate's", () => {
    const exitCodes = (help: string) => help.slice(help.indexOf('Exit codes:')).replace(/\s+/g, ' ');
    for (const command of [simulateCommand, reportCommand]) expect(exitCodes(command.help), command.name).toContain('141');
    for (const command of [experimentCommand, evaluateCommand]) {
      expect(exitCodes(command.help), command.name).not.toContain('141');
      expect(exitCodes(command.help), command.name).toContain('does not stop it: it finishes its work');
    }
  });
});

describe('handleClosedOutput and EIO', () => {
  /** Emits `code` as a write error on standard output, with `isTTY` as given, under handleClosedOutput(`argv`). */
  function writeFails(code: string, isTTY: boolean, argv: string[]): { thrown: unknown; exitedWith: unknown } {
    const before = [...process.stdout.listeners('error'), ...process.stderr.listeners('error')];
    const wasTTY = process.stdout.isTTY;
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    let thrown: unknown;
    let exitedWith: unknown;
    try {
      handleClosedOutput(argv);
      process.stdout.isTTY = isTTY;
      process.stdout.emit('error', Object.assign(new Error(`write ${code}`), { code }));
    } catch (error) {
      thrown = error;
    } finally {
      process.stdout.isTTY = wasTTY;
      for (const stream of [process.stdout, process.stderr])
        for (const listener of stream.listeners('error')) if (!before.includes(listener)) stream.off('error', listener as never);
      exitedWith = exit.mock.calls[0]?.[0];
      exit.mockRestore();
    }
    return { thrown, exitedWith };
  }

  it('an EIO writing to a file or a pipe (a failing disk) is reported, not taken for a closed reader', () => {
    for (const argv of [['simulate'], ['label']]) {
      const { thrown, exitedWith } = writeFails('EIO', false, argv);
      expect((thrown as NodeJS.ErrnoException).code).toBe('EIO');
      expect(exitedWith).toBeUndefined();
    }
  });

  it('an EIO writing to a terminal (closed, its window shut) is its reader gone: simulate exits 141, label goes on', () => {
    expect(writeFails('EIO', true, ['simulate'])).toEqual({ thrown: undefined, exitedWith: CLOSED_OUTPUT_EXIT });
    expect(writeFails('EIO', true, ['label'])).toEqual({ thrown: undefined, exitedWith: undefined });
  });
});
