import { describe, expect, it } from 'vitest';
import { formatDuration, progressBar } from '../../src/cli/progress.js';

function fakeStream(isTTY: boolean): { stream: NodeJS.WriteStream; writes: string[] } {
  const writes: string[] = [];
  const stream = { isTTY, write: (chunk: string) => writes.push(chunk) > 0 } as unknown as NodeJS.WriteStream;
  return { stream, writes };
}

describe('progressBar', () => {
  it('draws a bar with counts and an ETA on a TTY, and clears it at the end', () => {
    const { stream, writes } = fakeStream(true);
    const bar = progressBar({ label: 'runs', stream, intervalMs: 0 });
    bar.update(1, 4);
    bar.update(4, 4);
    bar.finish();
    expect(writes).toHaveLength(3);
    // eslint-disable-next-line no-control-regex -- the line ends with the terminal's erase-line escape
    expect(writes[0]).toMatch(/^\rruns █{8}░{22} 1\/4 25% ETA [\d.]+s\x1b\[K$/);
    expect(writes[1]).toMatch(/█{30} 4\/4 100% ETA 0.0s/);
    expect(writes[2]).toBe('\r\x1b[K');
  });

  it('throttles redraws but always draws completion', () => {
    const { stream, writes } = fakeStream(true);
    const bar = progressBar({ label: 'runs', stream, intervalMs: 60_000 });
    for (let done = 1; done <= 100; done++) bar.update(done, 100);
    expect(writes).toHaveLength(2);
    expect(writes[1]).toContain('100/100');
  });

  it('writes nothing when the stream is not a TTY', () => {
    const { stream, writes } = fakeStream(false);
    const bar = progressBar({ label: 'runs', stream, intervalMs: 0 });
    bar.update(1, 2);
    bar.finish();
    expect(writes).toEqual([]);
  });
});

describe('formatDuration', () => {
  it.each([
    [0.4, '0.4s'],
    [0.04, '0.0s'],
    [9.94, '9.9s'],
    [9.96, '10s'],
    [59.4, '59s'],
    [65, '1m05s'],
    [3600, '60m00s'],
    [NaN, '?'],
  ])('%s s → %s', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });
});
