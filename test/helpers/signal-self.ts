import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const PRELOAD = pathToFileURL(resolve(import.meta.dirname, 'signal-self.mjs')).href;

/**
 * The node flags and environment that make a child process send itself `signal` as soon as its
 * first `operation` on a file whose name matches `name` (`open`'s and `openSync`'s path, the
 * destination of `rename` and `linkSync`) has completed: a stop at that exact point, which a test polling from its own process would only
 * reach once it is scheduled again (too late on a loaded machine, when the child has gone on).
 *
 * @example
 * spawn(process.execPath, [...signalSelf('rename', /^scores\.npy$/, 'SIGKILL').nodeArgs, BUILT_CLI, ...args], {
 *   env: { ...process.env, ...signalSelf('rename', /^scores\.npy$/, 'SIGKILL').env },
 * });
 */
export function signalSelf(
  operation: 'open' | 'openSync' | 'rename' | 'linkSync',
  name: RegExp,
  signal: NodeJS.Signals,
): { nodeArgs: string[]; env: Record<string, string> } {
  return {
    nodeArgs: ['--import', PRELOAD],
    env: { ACTIVE_TESTING_TEST_SIGNAL_SELF: JSON.stringify({ operation, name: name.source, flags: name.flags, signal }) },
  };
}
