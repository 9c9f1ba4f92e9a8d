import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ActiveTestingSession } from '../../src/session/session.js';
import { CLASSES, CLI, writePoolFiles, type PoolFiles } from './cli-pool.js';

/** tmux drives the command as a person would, through a real pseudo-terminal. `.ci/run` installs it. */
function tmuxAvailable(): boolean {
  if (spawnSync('tmux', ['-V']).status === 0) return true;
  if (process.env.ACTIVE_TESTING_REQUIRE_SHARED === '1') throw new Error('tmux is required in CI for the interactive labelling test');
  console.warn('NOTICE: skipping the interactive `label` test: tmux is not installed');
  return false;
}

const socket = `at-label-${process.pid}`;
const tmux = (...args: string[]) => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });

async function screenMatching(pattern: RegExp, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const screen = tmux('capture-pane', '-p', '-J', '-t', 'label');
    if (pattern.test(screen)) return screen;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern} on screen:\n${screen}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const shownItem = (screen: string) => /Item (s\d+):/.exec(screen)?.[1] as string;

/** A whole screen with `message`: up to the key legend, its last line, so that the item shown is on it too. */
const screenWith = (message: string) => new RegExp(`${message}[\\s\\S]*\\[q\\] quit`);

/** Runs `label` with `args` in a fresh tmux window `label` of the given size; the shell prints its exit code after it. */
function startLabel(args: string[], width = 150, height = 40): void {
  const command = [process.execPath, ...CLI, 'label', ...args].map((a) => `'${a}'`).join(' ');
  spawnSync('tmux', ['-L', socket, 'kill-session', '-t', 'label']);
  tmux('new-session', '-d', '-s', 'label', '-x', String(width), '-y', String(height), `${command}; echo EXIT=$?; sleep 60`);
}

/** A session of `files` (seed 9, the surrogate's scores) in `name`, open for records before `label` takes it. */
async function seededSession(files: PoolFiles, name: string, texts: string[] = files.texts) {
  const session = join(files.dir, name);
  const seeded = await ActiveTestingSession.create(session, {
    texts,
    ids: files.ids,
    classes: CLASSES,
    modelScores: files.pool.modelScores,
    surrogateScores: files.pool.surrogateScores,
    seed: 9,
  });
  return { session, seeded };
}

describe.skipIf(!tmuxAvailable())('active-testing label in a terminal', () => {
  afterAll(() => {
    spawnSync('tmux', ['-L', socket, 'kill-server']);
  });

  it('labels with single keys, shows the running estimate, undoes, and quits safely', async () => {
    const files = await writePoolFiles(60, 5);
    const { session, seeded } = await seededSession(files, 'tty.session');
    await seeded.close();
    startLabel(['--session', session]);

    let screen = await screenMatching(/\[1\] negative\s+\[2\] positive\s+\[s\] skip\s+\[u\] undo\s+\[q\] quit/);
    expect(screen).toMatch(/0 labels recorded; no estimate yet\nProgress: 0 of 60 items labelled \(no stopping rule given\)$/m);
    const first = shownItem(screen);
    expect(screen).toContain(files.texts[files.ids.indexOf(first)]);
    tmux('send-keys', '-t', 'label', '2');
    screen = await screenMatching(screenWith(`Labelled ${first}: positive`));
    // One label's LURE weight 1/(N·q) can exceed 1, so the accuracy estimate may be negative: the
    // line then shows 0, with the estimate itself beside it.
    expect(screen).toMatch(
      /1 label · accuracy \d\.\d{4}( \(est\. -\d+\.\d{4}\))? anytime 95% \[\d\.\d{4}, \d\.\d{4}\] · risk \d+\.\d{4}( \(est\. \d+\.\d{4}\))? anytime 95% \[\d+\.\d{4}, \d+\.\d{4}\]/,
    );
    const second = shownItem(screen);
    expect(second).not.toBe(first);
    tmux('send-keys', '-t', 'label', '1');
    screen = await screenMatching(screenWith(`Labelled ${second}: negative`));
    const third = shownItem(screen);
    tmux('send-keys', '-t', 'label', 'x');
    screen = await screenMatching(screenWith('Unknown key "x"'));
    tmux('send-keys', '-t', 'label', 'u');
    screen = await screenMatching(screenWith(`Undid ${second} \\(negative\\)`));
    expect(shownItem(screen)).toBe(second);
    expect(screen).toMatch(/^1 label · /m);
    tmux('send-keys', '-t', 'label', 'q');
    screen = await screenMatching(/EXIT=\d+/);
    expect(screen).toMatch(/EXIT=0/);
    expect(screen).toContain(`Quit: 1 label and 0 skips are saved in ${session}; run the same command to resume.`);
    expect(screen).toMatch(/Labels: 1 in the estimate \(1 recorded\); the estimate covers 60 items$/m);
    expect(screen).toMatch(/Accuracy: \d\.\d{4}( \(est\. -?\d+\.\d{4}\))? {2}anytime-valid 95% \[/);
    // One label estimates no spread: no number of random labels to compare with yet.
    expect(screen).toContain("Random labels for the same variance (the approximate bootstrap's): – (not estimable from these labels).");

    expect(existsSync(`${session}.lock`)).toBe(false);
    const reopened = await ActiveTestingSession.open(session);
    expect(reopened.history().map((h) => [h.id, h.status, h.label])).toEqual([
      [first, 'labelled', 'positive'],
      [second, 'pending', undefined],
      [third, 'pending', undefined],
    ]);
    expect((await reopened.next())[0].id).toBe(second);
    await reopened.close();
  });

  it('says on resuming what the session kept', async () => {
    const files = await writePoolFiles(60, 5);
    const { session, seeded } = await seededSession(files, 'resume.session');
    const [labelled] = await seeded.next();
    await seeded.record(labelled.id, 'positive');
    const [skipped] = await seeded.next();
    await seeded.skip(skipped.id);
    await seeded.close();
    startLabel(['--session', session]);

    const screen = await screenMatching(/\[q\] quit/);
    expect(screen).toContain(`Resumed: 1 label and 1 skip kept in ${session}.`);
    tmux('send-keys', '-t', 'label', 'q');
    await screenMatching(/EXIT=0/);
  });

  it('says which rule stopped the labelling', async () => {
    const files = await writePoolFiles(60, 5);
    const { session, seeded } = await seededSession(files, 'stop.session');
    await seeded.close();
    startLabel(['--session', session, '--max-labels', '2']);

    let screen = await screenMatching(/\[q\] quit/);
    expect(screen).toMatch(/^Progress: 0 of 2 labels$/m);
    tmux('send-keys', '-t', 'label', 's');
    screen = await screenMatching(screenWith(`Skipped ${shownItem(screen)}`));
    tmux('send-keys', '-t', 'label', '1');
    screen = await screenMatching(screenWith('Labelled'));
    expect(screen).toMatch(/^Progress: 1 of 2 labels$/m);
    tmux('send-keys', '-t', 'label', '2');
    screen = await screenMatching(/EXIT=\d+/);
    expect(screen).toMatch(/EXIT=0/);
    expect(screen).toMatch(/^Stopped: 2 labels reached --max-labels 2\.$/m);
    expect(screen).toMatch(/Labels: 2 in the estimate \(2 recorded\); the estimate covers 59 of 60 items \(1 skipped\)$/m);
  });

  it('keeps the estimate, the last action and the keys on screen under a text longer than the terminal', async () => {
    const files = await writePoolFiles(20, 5);
    const longTexts = files.texts.map((text) => `${text}: ${'a scene that goes on and on, '.repeat(100)}the end.`);
    const { session, seeded } = await seededSession(files, 'long.session', longTexts);
    await seeded.close();
    startLabel(['--session', session], 100, 30);

    let screen = await screenMatching(/\[q\] quit/);
    expect(screen).toMatch(/^0 labels recorded; no estimate yet$/m);
    expect(screen).toMatch(/the end\.\n\n0 labels recorded/);
    tmux('send-keys', '-t', 'label', '2');
    screen = await screenMatching(/^1 label · accuracy [\s\S]*\[q\] quit/m);
    expect(screen).toMatch(/^Labelled s\d+: positive$/m);
    tmux('send-keys', '-t', 'label', 'q');
    await screenMatching(/EXIT=0/);
  });

  it('reads a function or editing key as one unknown key, not the digits in its escape sequence as labels', async () => {
    const files = await writePoolFiles(20, 5);
    const { session, seeded } = await seededSession(files, 'keys.session');
    await seeded.close();
    startLabel(['--session', session]);

    let screen = await screenMatching(/\[q\] quit/);
    const first = shownItem(screen);
    // F5 sends ESC [ 1 5 ~ and Home ESC [ 1 ~: their 1 is the key of the first class.
    tmux('send-keys', '-t', 'label', 'F5');
    screen = await screenMatching(screenWith('Unknown key "\\\\u001b\\[15~"'));
    tmux('send-keys', '-t', 'label', 'Home');
    screen = await screenMatching(screenWith('Unknown key "\\\\u001b\\[1~"'));
    // F5 with Meta sent as a leading ESC (urxvt, Option as Meta), and Alt+1 (ESC 1).
    tmux('send-keys', '-t', 'label', '-H', '1b', '1b', '5b', '31', '35', '7e');
    screen = await screenMatching(screenWith('Unknown key "\\\\u001b\\\\u001b\\[15~"'));
    tmux('send-keys', '-t', 'label', '-H', '1b', '31');
    screen = await screenMatching(screenWith('Unknown key "\\\\u001b1"'));
    // Escape alone, once readline has waited for the rest of a sequence.
    tmux('send-keys', '-t', 'label', 'Escape');
    screen = await screenMatching(screenWith('Unknown key "\\\\u001b"'));
    // A paste (the terminal marks it, as the labeller asks) labels nothing, however many digits it holds.
    tmux('set-buffer', '1212');
    tmux('paste-buffer', '-p', '-t', 'label');
    screen = await screenMatching(screenWith('Pasted text ignored: press one key for the item shown'));
    expect(screen).toMatch(/^0 labels recorded; no estimate yet$/m);
    expect(shownItem(screen)).toBe(first);
    // A pasted right-to-left override is named, not passed on to reorder the line.
    tmux('send-keys', '-t', 'label', '-l', '\u202e');
    screen = await screenMatching(screenWith('Unknown key "<U\\+202E>"'));
    expect(screen).not.toContain('\u202e');
    // Ctrl-C quits, also right after an escape sequence left open (Alt+[ sends ESC [).
    tmux('send-keys', '-t', 'label', '-H', '1b', '5b');
    tmux('send-keys', '-t', 'label', 'C-c');
    await screenMatching(/EXIT=0/);
    const reopened = await ActiveTestingSession.open(session);
    expect(reopened.history().filter((h) => h.status === 'labelled')).toEqual([]);
    await reopened.close();
  });
});
