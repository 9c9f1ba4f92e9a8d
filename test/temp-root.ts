import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** Set to the run's scratch folder once made: each project of the run calls this setup. */
const MARKER = 'ACTIVE_TESTING_TEST_TMPDIR';

/**
 * Gives the run one scratch folder and removes it at the end: the tests (and the CLI processes they
 * start, which inherit the environment) make their temporary folders under it through `tmpdir()`,
 * so a run leaves nothing behind in the system's temporary folder, even from a test that fails.
 * Its name is short (a Unix socket's path, Chromium's among them, has room for about 100 bytes),
 * and it is open to every user as the system's is: some tests run commands as the user nobody.
 */
export default function setup(): () => void {
  if (process.env[MARKER] !== undefined) return () => undefined;
  // Absolute: the CLI processes the tests start run in other folders.
  const root = resolve(mkdtempSync(join(tmpdir(), 'at-tests-')));
  chmodSync(root, 0o1777);
  const systemTmpdir = process.env.TMPDIR;
  process.env[MARKER] = root;
  process.env.TMPDIR = root;
  return () => {
    rmSync(root, { recursive: true, force: true });
    delete process.env[MARKER];
    if (systemTmpdir === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = systemTmpdir;
  };
}
