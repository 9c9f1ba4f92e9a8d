import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { ActiveTestingSession } from '../../src/session/session.js';
import { syntheticPool } from '../../src/simulate/syntheticPool.js';
import { runCliCaptured } from '../helpers/cli.js';
import { interactiveStdin } from '../helpers/interactive.js';

const N = 12;
const pool = syntheticPool({ poolSize: N, classCount: 2, seed: 2 });
const HOSTILE = 'title\x1b]0;owned\x07 clear\x1b[2J csi\u009b2J end\rover';

async function hostileSession(): Promise<string> {
  const path = join(mkdtempSync(join(tmpdir(), 'at-render-')), 'hostile.session');
  const texts = Array.from({ length: N }, (_, i) => `${HOSTILE} ${i}\nsecond line\twith a tab`);
  const ids = texts.map((_, i) => `id\x1b[31m${i}`);
  const session = await ActiveTestingSession.create(path, {
    texts,
    ids,
    classes: ['neg\x1b[5m', 'pos'],
    modelScores: pool.modelScores,
    seed: 1,
  });
  await session.close();
  return path;
}

/** Escape sequences other than the labeller's own: the screen clear and cursor home, and bracketed paste on and off. */
const foreignEscapes = (out: string) =>
  out
    .replaceAll('\x1b[2J\x1b[H', '')
    .replaceAll('\x1b[?2004h', '')
    .replaceAll('\x1b[?2004l', '')
    // eslint-disable-next-line no-control-regex -- the test looks for escape sequences that reached the terminal
    .match(/[\x1b\u009b\r]/g) ?? [];

describe('label renders control characters in the data visibly', () => {
  const { stdin } = process;
  const pretendInteractive = interactiveStdin();

  it('on the interactive screen: text, ids and class names reach the terminal with no escape sequence', async () => {
    const path = await hostileSession();
    pretendInteractive();
    let out = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out += String(chunk);
      if (out.includes('[q] quit')) setImmediate(() => stdin.emit('data', Buffer.from('q')));
      return true;
    });
    const run = await runCliCaptured(['label', '--session', path]);
    expect(run.code).toBe(0);
    expect(out).toContain('title␛]0;owned␇ clear␛[2J csi<U+009B>2J end␍over');
    expect(out).toContain('\nsecond line\twith a tab');
    expect(out).toMatch(/Item id␛\[31m\d+:/);
    expect(out).toContain('[1] neg␛[5m');
    expect(foreignEscapes(out)).toEqual([]);
  });

  it('in --answers mode: the ids it prints are rendered the same way', async () => {
    const path = await hostileSession();
    const answers = join(mkdtempSync(join(tmpdir(), 'at-render-')), 'answers.tsv');
    // Answers for the first half of the pool only: labelling stops at the first proposal of the
    // other half, and the message names it.
    const rows = Array.from({ length: N / 2 }, (_, i) => `id\x1b[31m${i}\t${pool.labels[i]}`);
    writeFileSync(answers, ['id\tlabel', ...rows].join('\n') + '\n');
    const run = await runCliCaptured(['label', '--session', path, '--answers', answers, '--max-labels', String(N)]);
    expect(run.stderr).toMatch(/no answer for item id␛\[31m\d+/);
    expect(foreignEscapes(run.stdout + run.stderr)).toEqual([]);
  });
});

describe('label on a resized terminal', () => {
  const { stdin } = process;
  const pretendInteractive = interactiveStdin();

  it('draws the screen again when the terminal is resized, and stops listening once it ends', async () => {
    const path = await hostileSession();
    pretendInteractive();
    const listening = process.stdout.listenerCount('resize');
    const screens: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      const text = String(chunk);
      if (!text.includes('[q] quit')) return true;
      screens.push(text);
      // The terminal is resized while the first item is shown (the redraw, if any, is written
      // during the event), then the user quits.
      if (screens.length === 1)
        setImmediate(() => {
          process.stdout.emit('resize');
          stdin.emit('data', Buffer.from('q'));
        });
      return true;
    });
    const run = await runCliCaptured(['label', '--session', path]);
    expect(run.code).toBe(0);
    expect(screens).toHaveLength(2);
    expect(screens[1]).toBe(screens[0]);
    expect(screens[0].startsWith('\x1b[2J\x1b[HItem id')).toBe(true);
    expect(process.stdout.listenerCount('resize')).toBe(listening);
  });
});
