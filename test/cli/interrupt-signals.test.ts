import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasScoredCheckpoint } from '../../src/evaluation/evaluate.js';
import { loadExperimentConfig } from '../../src/experiment/config.js';
import { runExperiment } from '../../src/experiment/experiment.js';
import { writeReport } from '../../src/report/report.js';
import { exportSessionLabels, labelsTsv } from '../../src/session/export-labels.js';
import { ActiveTestingSession } from '../../src/session/session.js';
import { BUILT_CLI, sessionWithAnswers } from '../faults/children.js';
import { tinyEvaluateFlags } from '../faults/evaluate-args.js';
import { writePoolFiles } from '../faults/pool-files.js';
import { writeGrid } from '../experiment/pool-files.js';
import { runCliCaptured } from '../helpers/cli.js';
import { signalSelf } from '../helpers/signal-self.js';
import { expectSameOutputs } from '../helpers/same-outputs.js';
import { writeFakeSimulation } from '../report/simulation-folder.js';

const root = mkdtempSync(join(tmpdir(), 'at-interrupt-signals-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let f: string;
let y: string;
beforeAll(async () => {
  ({ f, y } = await writePoolFiles(root, 120, 3, 4));
});

const simulate = (out: string, ...extra: string[]) => [
  'simulate',
  ...['--model-scores', f, '--labels', y, '--runs', '20', '--size', '30', '--threads', '1', '--out', out],
  ...extra,
];

/** The module of the command line's signal handling, run from source in a child process. */
const SIGNALS = resolve(import.meta.dirname, '../../src/cli/signals.ts');
/** Each signal that stops a command cleanly, with the exit code it stops with. */
const STOP_SIGNALS = [
  ['SIGINT', 130],
  ['SIGTERM', 143],
  ['SIGHUP', 129],
] as const;

/** A data file's temporary (`.q.npy.<pid>.<hex>.tmp`), not the lock's own (`.active-testing.lock.<pid>.<hex>.tmp`). */
const OUTPUT_TEMPORARY = /^\.(?![\w-]+\.lock\.).+\.\d+\.[0-9a-f]{8}\.tmp$/;

/**
 * Runs the built CLI with a pause before each step of its output writes, makes it send itself
 * `signal` as soon as it has opened the temporary of one of its output files, and returns how it
 * ended. A signal sent by this process once it saw the temporary could come after the last check
 * for one (the writes are then finished and renamed into place, exit 0) on a loaded machine.
 */
async function signalWhileWriting(argv: string[], signal: NodeJS.Signals) {
  return signalWhen(argv, signalSelf('open', OUTPUT_TEMPORARY, signal), 'output:step=400');
}

/** What a child has printed so far. */
type Printed = { stdout: string; stderr: string };

/** A signal this process sends the child once the condition on what it printed (or anything else) holds. */
type Polled = [(printed: Printed) => boolean, NodeJS.Signals];

/**
 * Runs the built CLI with the fault delays `delays`, signals it first as `first` says (sent from
 * here once its condition holds, or by the child itself at the point `signalSelf` names), then
 * each later signal once its own condition holds, and returns how it ended.
 */
async function signalWhen(argv: string[], first: Polled | ReturnType<typeof signalSelf>, delays: string, ...later: Polled[]) {
  const { code, signal, stderr } = await signalWhenPrinting(argv, first, delays, ...later);
  return { code, signal, stderr };
}

/** `signalWhen`, with what the child printed on stdout. */
async function signalWhenPrinting(argv: string[], first: Polled | ReturnType<typeof signalSelf>, delays: string, ...later: Polled[]) {
  const self = Array.isArray(first) ? undefined : first;
  const child = spawn(process.execPath, [...(self?.nodeArgs ?? []), BUILT_CLI, ...argv], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...self?.env, ACTIVE_TESTING_FAULT_DELAY_MS: delays },
  });
  const printed: Printed = { stdout: '', stderr: '' };
  child.stdout.on('data', (chunk: Buffer) => (printed.stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (printed.stderr += chunk.toString()));
  const exited = new Promise<void>((done) => child.on('close', () => done()));
  let finished = false;
  void exited.then(() => (finished = true));
  try {
    for (const [when, name] of self === undefined ? [first as Polled, ...later] : later) {
      while (!finished && !when(printed)) await new Promise((r) => setTimeout(r, 5));
      child.kill(name);
    }
    await exited;
  } finally {
    child.kill('SIGKILL');
  }
  return { code: child.exitCode, signal: child.signalCode, stdout: printed.stdout, stderr: printed.stderr };
}

/** Every hidden entry (temporaries, locks) under `dir`. */
const hidden = (dir: string) => readdirSync(dir, { recursive: true }).filter((name) => String(name).split('/').pop()!.startsWith('.'));

describe('a command stopped by a signal while it writes its outputs', () => {
  // SIGHUP: its terminal closed (`nohup` around a Node process does not keep it from arriving).
  it.each([
    ['SIGINT', 130],
    ['SIGHUP', 129],
  ] as const)('simulate on %s removes its temporaries, its lock and the folder it made, and exits %i in one line', async (signal, code) => {
    const out = join(root, `new-${signal}`);
    const run = await signalWhileWriting(simulate(out), signal);
    expect(run).toEqual({
      code,
      signal: null,
      stderr: `active-testing simulate: interrupted by ${signal}; nothing of its results was written\n`,
    });
    expect(existsSync(out)).toBe(false);
  });

  it('simulate stopped by a signal exits with its code even when the reader of its output never reads', async () => {
    const out = join(root, 'unread');
    // More than the pipe holds is written to stdout before the command starts, and never read (a
    // pager suspended with Ctrl-Z): the wait for the reader after the signal must end. The child is
    // killed if it has not exited by the test's deadline (no exit code then).
    const ballast = ['--import', `data:text/javascript,process.stdout.write('x'.repeat(1 << 20))`];
    const self = signalSelf('open', OUTPUT_TEMPORARY, 'SIGTERM');
    const child = spawn(process.execPath, [...ballast, ...self.nodeArgs, BUILT_CLI, ...simulate(out)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...self.env, ACTIVE_TESTING_FAULT_DELAY_MS: 'output:step=400' },
    });
    // Never read: the pipe fills and stays full.
    child.stdout.pause();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const stderrEnded = new Promise((done) => child.stderr.on('end', done));
    const deadline = setTimeout(() => child.kill('SIGKILL'), 60_000);
    try {
      await new Promise((done) => child.on('exit', done));
      await stderrEnded;
    } finally {
      clearTimeout(deadline);
      child.kill('SIGKILL');
      child.stdout.destroy();
    }
    expect({ code: child.exitCode, signal: child.signalCode }).toEqual({ code: 143, signal: null });
    expect(stderr).toBe('active-testing simulate: interrupted by SIGTERM; nothing of its results was written\n');
    expect(existsSync(out)).toBe(false);
  });

  it('simulate --force on SIGTERM keeps the earlier results as they were and exits 143', async () => {
    const out = join(root, 'kept');
    expect((await runCliCaptured(simulate(out))).code).toBe(0);
    const before = readFileSync(join(out, 'summary.json'), 'utf8');
    const run = await signalWhileWriting(simulate(out, '--seed', '9', '--force'), 'SIGTERM');
    expect(run).toEqual({
      code: 143,
      signal: null,
      stderr: 'active-testing simulate: interrupted by SIGTERM; nothing of its results was written\n',
    });
    expect(readFileSync(join(out, 'summary.json'), 'utf8')).toBe(before);
    expect(hidden(out)).toEqual([]);
  });

  it('simulate on SIGKILL cannot clean up: the next run removes what it left and finishes', async () => {
    const out = join(root, 'killed');
    const run = await signalWhileWriting(simulate(out), 'SIGKILL');
    expect(run.signal).toBe('SIGKILL');
    expect(hidden(out)).toContain('.active-testing.lock');
    const rerun = await runCliCaptured(simulate(out));
    expect(rerun.code).toBe(0);
    // Killed once its first temporary was opened: that one is left, and any opened with it.
    expect(rerun.stderr).toMatch(/^.+: an earlier run was interrupted while writing; removed its [1-9]\d* temporary file\(s\)$/);
    expect(hidden(out)).toEqual([]);
  });

  it('simulate ends with 130, not killed, when a second SIGINT comes after it has returned and before it exits', async () => {
    const out = join(root, 'twice');
    // The first signal while it writes (sent by itself, see signalWhileWriting). Its line is written
    // as the command returns: the second signal comes while the exit code is not yet set.
    const returned = ({ stderr }: Printed) => stderr.endsWith('\n');
    const first = signalSelf('open', OUTPUT_TEMPORARY, 'SIGINT');
    const run = await signalWhen(simulate(out), first, 'output:step=400,cli:returned=1500', [returned, 'SIGINT']);
    expect(run).toEqual({
      code: 130,
      signal: null,
      stderr: 'active-testing simulate: interrupted by SIGINT; nothing of its results was written\n',
    });
  });

  it('until a command listens, a signal ends the process at once, even in the middle of synchronous work', async () => {
    // Every command listens while it works; before that (its arguments and inputs checked) nothing
    // may: the command line's own listener, installed then, would hold the signal until the process
    // next waits, and the synchronous work after it would run on.
    const wentOn = join(mkdtempSync(join(root, 'not-listening-')), 'went-on');
    const script = `
      const { writeFileSync } = await import('node:fs');
      const { takeLateSignals } = await import(${JSON.stringify(SIGNALS)});
      takeLateSignals();
      process.kill(process.pid, 'SIGINT');
      writeFileSync(${JSON.stringify(wentOn)}, '');`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await new Promise((done) => child.on('close', done));
    expect({ code: child.exitCode, signal: child.signalCode, stderr }).toEqual({ code: null, signal: 'SIGINT', stderr: '' });
    expect(existsSync(wentOn)).toBe(false);
  });

  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGHUP', 129],
  ] as const) {
    it(`report on ${signal} removes its temporaries and lock, and exits ${code} in one line`, async () => {
      const simulation = join(root, `iid-${signal}`);
      writeFakeSimulation(simulation, { acquisition: 'iid', estimator: 'iid', noise: 0.5, rows: 40 });
      const out = join(root, `report-${signal}`);
      const run = await signalWhileWriting(['report', simulation, '--out', out], signal);
      expect(run).toEqual({ code, signal: null, stderr: `active-testing report: interrupted by ${signal}; nothing of it was written\n` });
      expect(existsSync(out)).toBe(false);
      await writeReport([simulation], { out });
    });
  }

  for (const [signal, code] of STOP_SIGNALS) {
    it(`experiment on ${signal} stops the setting it writes, releases its lock and exits ${code}; the rerun resumes to an uninterrupted run's outputs`, async () => {
      const config = writeGrid(join(root, `grid-inputs-${signal}`), { size: 300, runs: 20, labels: 30 });
      const out = join(root, `grid-${signal}`);
      // Signalled (by itself, as signalWhileWriting does) while the first setting's outputs are
      // written, not the grid's manifest: that setting is left unfinished.
      const settingWriting = signalSelf('open', /^\.estimates\.npy\.\d+\.[0-9a-f]{8}\.tmp$/, signal);
      const run = await signalWhen(['experiment', '--config', config, '--out', out, '--threads', '1'], settingWriting, 'output:step=400');
      expect(run).toEqual({
        code,
        signal: null,
        stderr: `active-testing experiment: interrupted by ${signal}; run the same command again to resume: finished settings are kept\n`,
      });
      expect(hidden(out)).toEqual([]);
      const rerun = await runCliCaptured(['experiment', '--config', config, '--out', out, '--threads', '1']);
      expect(rerun.code, rerun.stderr).toBe(0);
      expect(rerun.lines[0]).toMatch(/^4 settings, 0 already finished; output in /);
      const uninterrupted = join(root, `grid-${signal}-uninterrupted`);
      await runExperiment(loadExperimentConfig(config), { out: uninterrupted, threads: 1 });
      expectSameOutputs(out, uninterrupted);
    });
  }

  it('evaluate on SIGTERM keeps its checkpoint, says how far it got, releases its lock and exits 143; the rerun resumes', async () => {
    const data = evaluateData();
    const out = join(root, 'scores');
    // Signalled once a batch is in the checkpoint: its progress was reported by then. Each batch
    // pauses after its flush, so that the run cannot finish before a loaded machine's poll sees it.
    const checkpoint = join(out, '.evaluate.partial.f32');
    const scored = () => existsSync(checkpoint) && statSync(checkpoint).size > 0;
    const run = await signalWhen(['evaluate', ...tinyEvaluateFlags(data, out)], [scored, 'SIGTERM'], 'evaluate:batch=100');
    // Two float32 scores per item: the count the line gives is the checkpoint's.
    const kept = statSync(checkpoint).size / 8;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(2000);
    expect(run).toEqual({
      code: 143,
      signal: null,
      stderr: `active-testing evaluate: interrupted by SIGTERM after ${kept} of 2000 items; run the same command again to resume from its last checkpoint\n`,
    });
    expect(hidden(out).sort()).toEqual([
      '.evaluate.partial.f32',
      '.evaluate.partial.floored',
      '.evaluate.partial.json',
      '.evaluate.partial.tokens.json',
    ]);
    // What a stop of the rerun before its first batch reads to promise a resume.
    expect(hasScoredCheckpoint(out)).toBe(true);
    const rerun = await runCliCaptured(['evaluate', ...tinyEvaluateFlags(data, out)]);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(out, 'meta.json'), 'utf8')).timings.items_scored_now).toBe(2000 - kept);
  });

  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGHUP', 129],
  ] as const) {
    it(`evaluate on ${signal} before its model is used stops there: no checkpoint, no folder, no count in its line, and no checkpoint promised`, async () => {
      const data = evaluateData();
      const out = join(root, `loading-${signal}`);
      // Signalled by itself as soon as it holds the folder's lock, before its data and model: a signal
      // from here once it saw the lock could come after the model was loaded.
      const locked = signalSelf('linkSync', /^\.active-testing\.lock$/, signal);
      const run = await signalWhen(['evaluate', ...tinyEvaluateFlags(data, out)], locked, '');
      expect(run).toEqual({
        code,
        signal: null,
        stderr: `active-testing evaluate: interrupted by ${signal}; nothing was scored yet; run the same command again to start\n`,
      });
      expect(existsSync(out)).toBe(false);
      expect(hasScoredCheckpoint(out)).toBe(false);
    });
  }
});

describe('scripted labelling stopped by a signal', () => {
  for (const [signal, code] of STOP_SIGNALS) {
    it(`label --answers on ${signal} finishes the label in flight, releases its lock, says what is saved and exits ${code}; the rerun finishes as an uninterrupted run`, async () => {
      const dir = mkdtempSync(join(root, `label-${signal}-`));
      const { session, answers } = await sessionWithAnswers(dir, 60, 5);
      const uninterrupted = join(dir, 'uninterrupted.session');
      copyFileSync(session, uninterrupted);
      const command = (path: string) => ['label', '--session', path, '--answers', answers];
      // Each record's write is held 100 ms halfway through (120 records, 12 s in all): the signal is
      // sent once two labels are printed and the file ends in half a record, so a label is in flight.
      // `printed` is the child's output as it grows: read after the run, it is the whole of it.
      let printed: Printed = { stdout: '', stderr: '' };
      let labelledAtSignal = 0;
      const midRecord = (now: Printed) => {
        printed = now;
        labelledAtSignal = now.stdout.match(/^labelled /gm)?.length ?? 0;
        return labelledAtSignal >= 2 && !readFileSync(session, 'utf8').endsWith('\n');
      };
      const run = await signalWhen(command(session), [midRecord, signal], 'journal:append=100');
      const labelled = printed.stdout.split('\n').filter((line) => line.startsWith('labelled ')).length;
      // The label in flight when the signal came was finished and printed.
      expect(labelled).toBeGreaterThan(labelledAtSignal);
      expect(labelled).toBeLessThan(60);
      expect(run).toEqual({
        code,
        signal: null,
        stderr: `active-testing label: interrupted by ${signal}; ${labelled} labels and 0 skips are saved in ${session}; run the same command to resume\n`,
      });
      // Only the labels: no stop reason nor summary after the line on stderr.
      expect(printed.stdout).toBe(
        printed.stdout
          .split('\n')
          .filter((line) => line.startsWith('labelled '))
          .join('\n') + '\n',
      );
      expect(existsSync(`${session}.lock`)).toBe(false);
      // Whole records only, and the label in flight recorded: one proposal per printed label, none pending.
      const lines = readFileSync(session, 'utf8').split('\n');
      expect(lines.pop()).toBe('');
      const events = lines.slice(1).map((line) => (JSON.parse(line) as { e: string }).e);
      expect(events).toEqual(Array.from({ length: labelled }, () => ['propose', 'label']).flat());

      const rerun = await runCliCaptured(command(session));
      expect(rerun.code, rerun.stderr).toBe(0);
      // No lock to take over, no torn record to set aside.
      expect(rerun.stderr).toBe('');
      expect(rerun.lines.filter((line) => line.startsWith('labelled '))).toHaveLength(60 - labelled);
      expect(rerun.lines).toContain('Stopped: every item of the pool is labelled or skipped.');
      expect(rerun.stdout).toMatch(/^Labels: 60 in the estimate \(60 recorded\)/m);
      expect((await runCliCaptured(command(uninterrupted))).code).toBe(0);
      expect(readFileSync(session, 'utf8')).toBe(readFileSync(uninterrupted, 'utf8'));
    });
  }
  it('label --answers ends with 130, not killed, when a second SIGINT follows its line at once (as Node tears down)', async () => {
    // The second signal races the process's end: after its line, the exit itself. Repeated, as a
    // run whose signal lands before or after that window exits 130 either way.
    for (let run = 0; run < 6; run += 1) {
      const dir = mkdtempSync(join(root, 'label-twice-'));
      const { session, answers } = await sessionWithAnswers(dir, 60, 5);
      const labelling = ({ stdout }: Printed) => stdout.includes('labelled ');
      const returned = ({ stderr }: Printed) => stderr.endsWith('\n');
      const ended = await signalWhen(['label', '--session', session, '--answers', answers], [labelling, 'SIGINT'], 'journal:append=20', [
        returned,
        'SIGINT',
      ]);
      expect({ run, code: ended.code, signal: ended.signal }).toEqual({ run, code: 130, signal: null });
    }
  });

  it('label --answers signalled during the label that meets --max-labels ends as finished: exit 0, why it stopped', async () => {
    const dir = mkdtempSync(join(root, 'label-last-'));
    const { session, answers } = await sessionWithAnswers(dir, 20, 5);
    // Signalled while the third and last label is being written: that label meets the rule.
    let printed: Printed = { stdout: '', stderr: '' };
    const lastInFlight = (now: Printed) =>
      ((printed = now).stdout.match(/^labelled /gm)?.length ?? 0) >= 2 && !readFileSync(session, 'utf8').endsWith('\n');
    const run = await signalWhen(
      ['label', '--session', session, '--answers', answers, '--max-labels', '3'],
      [lastInFlight, 'SIGINT'],
      'journal:append=100',
    );
    expect(run).toEqual({ code: 0, signal: null, stderr: '' });
    expect(printed.stdout).toContain('\nStopped: 3 labels reached --max-labels 3.\n');
    expect(existsSync(`${session}.lock`)).toBe(false);
  });

  for (const [moment, when] of [
    // As soon as it holds the session's lock, with the session not yet read.
    ['takes its lock', signalSelf('linkSync', /^pool\.session\.lock$/, 'SIGINT')],
    // As soon as it has opened the session file to read it: the read is synchronous, and its end
    // is followed at once by the first label.
    ['reads the session', signalSelf('openSync', /^pool\.session$/, 'SIGINT')],
  ] as const) {
    it(`label --answers on SIGINT as it ${moment} waits for the open, then stops before the first label`, async () => {
      const { session, answers } = await sessionWithAnswers(mkdtempSync(join(root, 'label-opening-')), 60, 5);
      const before = readFileSync(session, 'utf8');
      const run = await signalWhen(['label', '--session', session, '--answers', answers], when, '');
      expect(run).toEqual({
        code: 130,
        signal: null,
        stderr: `active-testing label: interrupted by SIGINT; 0 labels and 0 skips are saved in ${session}; run the same command to resume\n`,
      });
      expect(existsSync(`${session}.lock`)).toBe(false);
      expect(readFileSync(session, 'utf8')).toBe(before);
    });
  }
});

describe('a Label Studio exchange stopped by a signal', () => {
  for (const [signal, code] of STOP_SIGNALS) {
    it(`label --import on ${signal} finishes the answer in flight, releases its lock, says what is saved and exits ${code}; the same import again records the rest`, async () => {
      const dir = mkdtempSync(join(root, `import-${signal}-`));
      const { session, tasks } = await proposedWithTasks(dir, 60, 5);
      const uninterrupted = join(dir, 'uninterrupted.session');
      copyFileSync(session, uninterrupted);
      const command = (path: string) => ['label', '--session', path, '--import', 'label-studio', tasks];
      // Each record's write is held 100 ms halfway through: the signal is sent once two labels are
      // on disk and the file ends in half a record, so an answer is in flight.
      const wholeLabels = (text: string) => text.split('\n').filter((line) => line.endsWith('}') && line.includes('"e":"label"')).length;
      let labelledAtSignal = 0;
      const midRecord = () => {
        const text = readFileSync(session, 'utf8');
        labelledAtSignal = wholeLabels(text);
        return labelledAtSignal >= 2 && !text.endsWith('\n');
      };
      const run = await signalWhen(command(session), [midRecord, signal], 'journal:append=100');
      const labelled = wholeLabels(readFileSync(session, 'utf8'));
      // The answer in flight when the signal came was finished.
      expect(labelled).toBeGreaterThan(labelledAtSignal);
      expect(labelled).toBeLessThan(60);
      expect(run).toEqual({
        code,
        signal: null,
        stderr: `active-testing label: interrupted by ${signal}; ${labelled} labels and 0 skips are saved in ${session}; run the same command to resume\n`,
      });
      expect(existsSync(`${session}.lock`)).toBe(false);
      // Whole records only: 60 proposals, then the labels.
      const lines = readFileSync(session, 'utf8').split('\n');
      expect(lines.pop()).toBe('');
      const events = lines.slice(1).map((line) => (JSON.parse(line) as { e: string }).e);
      expect(events).toEqual([...Array.from({ length: 60 }, () => 'propose'), ...Array.from({ length: labelled }, () => 'label')]);

      const rerun = await runCliCaptured(command(session));
      expect(rerun.code, rerun.stderr).toBe(0);
      expect(rerun.stderr).toBe('');
      expect(rerun.lines[0]).toBe(`recorded ${60 - labelled} labels and 0 skips from ${tasks}`);
      expect((await runCliCaptured(command(uninterrupted))).code).toBe(0);
      expect(readFileSync(session, 'utf8')).toBe(readFileSync(uninterrupted, 'utf8'));
    });
  }

  for (const [moment, when] of [
    // As soon as it holds the session's lock, with the session not yet read.
    ['takes its lock', signalSelf('linkSync', /^pool\.session\.lock$/, 'SIGINT')],
    // As soon as it has opened the session file to read it: the read is synchronous, and its end
    // is followed at once by the proposals the export makes before its write.
    ['reads the session', signalSelf('openSync', /^pool\.session$/, 'SIGINT')],
  ] as const) {
    it(`label --export on SIGINT as it ${moment} writes no file, proposes nothing, releases its lock and exits 130 in one line`, async () => {
      const dir = mkdtempSync(join(root, 'export-opening-'));
      const { session } = await sessionWithAnswers(dir, 30, 5);
      const before = readFileSync(session, 'utf8');
      const tasks = join(dir, 'tasks.json');
      const run = await signalWhen(['label', '--session', session, '--export', 'label-studio', tasks, '--max-labels', '5'], when, '');
      expect(run).toEqual({
        code: 130,
        signal: null,
        stderr: `active-testing label: interrupted by SIGINT; ${tasks} was not written; run the same command to export\n`,
      });
      expect(existsSync(tasks)).toBe(false);
      expect(existsSync(`${session}.lock`)).toBe(false);
      expect(hidden(dir)).toEqual([]);
      expect(readFileSync(session, 'utf8')).toBe(before);
    });
  }

  it('label --export on SIGTERM while it writes its file finishes the file whole, leaves no temporary nor lock and exits 0', async () => {
    const dir = mkdtempSync(join(root, 'export-writing-'));
    const { session } = await sessionWithAnswers(dir, 30, 5);
    const tasks = join(dir, 'tasks.json');
    const writing = signalSelf('open', /^\.tasks\.json\.\d+\.[0-9a-f]{8}\.tmp$/, 'SIGTERM');
    const run = await signalWhen(['label', '--session', session, '--export', 'label-studio', tasks, '--max-labels', '5'], writing, '');
    expect(run).toEqual({ code: 0, signal: null, stderr: '' });
    expect((JSON.parse(readFileSync(tasks, 'utf8')) as unknown[]).length).toBe(5);
    expect(existsSync(`${session}.lock`)).toBe(false);
    expect(hidden(dir)).toEqual([]);
  });
});

describe('reading a session stopped by a signal', () => {
  for (const [signal, code] of STOP_SIGNALS) {
    it(`label --export-labels on ${signal} while it reads the session writes no file, leaves no temporary and exits ${code} in one line`, async () => {
      const dir = mkdtempSync(join(root, `export-labels-${signal}-`));
      const { session } = await sessionWithAnswers(dir, 20, 5);
      await labelAll(session, dir);
      const before = readFileSync(session, 'utf8');
      const labels = join(dir, 'labels.tsv');
      // Signalled by itself as soon as it has opened the session file, before it has read it.
      const reading = signalSelf('openSync', /^pool\.session$/, signal);
      const run = await signalWhenPrinting(['label', '--session', session, '--export-labels', labels], reading, '');
      expect(run).toEqual({
        code,
        signal: null,
        stdout: '',
        stderr: `active-testing label: interrupted by ${signal}; ${labels} was not written; run the same command to export\n`,
      });
      expect(existsSync(labels)).toBe(false);
      expect(hidden(dir)).toEqual([]);
      expect(readFileSync(session, 'utf8')).toBe(before);
    });

    it(`label --estimate on ${signal} while it reads the session prints no estimate, leaves the session as it was and exits ${code} in one line`, async () => {
      const dir = mkdtempSync(join(root, `estimate-${signal}-`));
      const { session } = await sessionWithAnswers(dir, 20, 5);
      await labelAll(session, dir);
      const before = readFileSync(session, 'utf8');
      const reading = signalSelf('openSync', /^pool\.session$/, signal);
      const run = await signalWhenPrinting(['label', '--session', session, '--estimate'], reading, '');
      expect(run).toEqual({
        code,
        signal: null,
        stdout: '',
        stderr: `active-testing label: interrupted by ${signal}; ${session} was only read; run the same command for its estimate\n`,
      });
      expect(hidden(dir)).toEqual([]);
      expect(readFileSync(session, 'utf8')).toBe(before);
    });
  }

  it('label --export-labels on SIGTERM while it writes its file finishes the file whole, leaves no temporary and exits 0', async () => {
    const dir = mkdtempSync(join(root, 'export-labels-writing-'));
    const { session } = await sessionWithAnswers(dir, 20, 5);
    await labelAll(session, dir);
    const labels = join(dir, 'labels.tsv');
    const writing = signalSelf('open', /^\.labels\.tsv\.\d+\.[0-9a-f]{8}\.tmp$/, 'SIGTERM');
    const run = await signalWhenPrinting(['label', '--session', session, '--export-labels', labels], writing, '');
    expect(run).toEqual({ code: 0, signal: null, stdout: `exported 20 labels and 0 skips from ${session} to ${labels}\n`, stderr: '' });
    expect(readFileSync(labels, 'utf8')).toBe(labelsTsv(exportSessionLabels(session).labels));
    expect(hidden(dir)).toEqual([]);
  });
});

/** Labels every item of the session at `session` from the answers `sessionWithAnswers` wrote beside it. */
async function labelAll(session: string, dir: string): Promise<void> {
  const run = await runCliCaptured(['label', '--session', session, '--answers', join(dir, 'answers.tsv')]);
  expect(run.code, run.stderr).toBe(0);
}

/**
 * A session of `size` items with every one proposed, and a Label Studio export (`tasks`) answering
 * each with its true class, as `label --import label-studio` reads it.
 */
async function proposedWithTasks(dir: string, size: number, seed: number): Promise<{ session: string; tasks: string }> {
  const { session, answers } = await sessionWithAnswers(dir, size, seed);
  const truth = new Map(
    readFileSync(answers, 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => line.split('\t') as [string, string]),
  );
  const opened = await ActiveTestingSession.open(session);
  const proposed = await opened.next(size);
  await opened.close();
  const tasks = join(dir, 'tasks.json');
  const choice = (name: string) => [
    { was_cancelled: false, result: [{ from_name: 'label', to_name: 'text', type: 'choices', value: { choices: [name] } }] },
  ];
  writeFileSync(tasks, JSON.stringify(proposed.map(({ id, text }) => ({ data: { item: id, text }, annotations: choice(truth.get(id)!) }))));
  return { session, tasks };
}

/** A TSV of 2000 labelled sentences under the test folder. */
function evaluateData(): string {
  const data = join(root, 'data.tsv');
  writeFileSync(data, 'sentence\tlabel\n' + Array.from({ length: 2000 }, (_, i) => `a good film number ${i}\t${i % 2}`).join('\n') + '\n');
  return data;
}
