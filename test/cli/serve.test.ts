import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliCaptured } from '../helpers/cli.js';

describe('active-testing serve: usage errors', () => {
  const missing = join(mkdtempSync(join(tmpdir(), 'at-serve-cli-')), 'none.session');

  it('needs a session, and pool options to create one', async () => {
    const none = await runCliCaptured(['serve']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('--session is required');
    const absent = await runCliCaptured(['serve', '--session', missing]);
    expect(absent.code).toBe(2);
    expect(absent.stderr).toContain(`${missing} does not exist: give --data, --classes and --model-scores to create it`);
  });

  it('checks the port and refuses label-only options', async () => {
    const port = await runCliCaptured(['serve', '--session', missing, '--port', '70000']);
    expect(port.code).toBe(2);
    expect(port.stderr).toContain('--port: expected an integer in [0, 65535], got "70000"');
    expect((await runCliCaptured(['serve', '--session', missing, '--answers', 'a.tsv'])).code).toBe(2);
    const demo = await runCliCaptured(['serve', '--demo', '--data', 'pool.tsv']);
    expect(demo.code).toBe(2);
    expect(demo.stderr).toContain('--demo takes no pool options');
  });

  it('is listed with its help', async () => {
    expect((await runCliCaptured(['--help'])).stdout).toMatch(/serve\s+label a session in the browser/);
    const help = await runCliCaptured(['serve', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--host H');
  });
});
