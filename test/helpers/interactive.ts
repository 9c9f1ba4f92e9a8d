import { afterEach, vi } from 'vitest';

/**
 * For the tests of the calling `describe` block: returns a function that makes `process.stdin`
 * read as an interactive terminal (a TTY that takes raw mode), and restores stdin, and every spy,
 * after each test. Keys are then sent with `process.stdin.emit('data', Buffer.from('q'))`.
 */
export function interactiveStdin(): () => void {
  const stdin = process.stdin as NodeJS.ReadStream & { setRawMode?: unknown };
  const saved = { isTTY: stdin.isTTY, setRawMode: stdin.setRawMode };
  afterEach(() => {
    Object.defineProperty(stdin, 'isTTY', { value: saved.isTTY, configurable: true });
    stdin.setRawMode = saved.setRawMode;
    vi.restoreAllMocks();
  });
  return () => {
    Object.defineProperty(stdin, 'isTTY', { value: true, configurable: true });
    stdin.setRawMode = () => stdin;
  };
}
