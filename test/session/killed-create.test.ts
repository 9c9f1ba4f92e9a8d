import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ActiveTestingSession, type CreateSessionOptions } from '../../src/session/session.js';
import { syntheticPool } from '../../src/simulate/syntheticPool.js';

const N = 40;
const pool = syntheticPool({ poolSize: N, classCount: 2, seed: 7 });
const options: CreateSessionOptions = {
  texts: Array.from({ length: N }, (_, i) => `item ${i}`),
  classes: ['a', 'b'],
  modelScores: pool.modelScores,
  seed: 1,
};

const JOURNAL = resolve(import.meta.dirname, '../../src/session/journal.ts');

/**
 * Starts creating a journal at `path` in a child process, which stops inside the header's write
 * (its temporary file begun, not yet linked into place) until it is killed there with SIGKILL:
 * what a crash during the creation of a large session leaves behind.
 */
function killInsideCreate(path: string): Promise<void> {
  const script = `
    const { FileJournal } = await import(${JSON.stringify(JOURNAL)});
    FileJournal.create(${JSON.stringify(path)}, { format: 'x' }, function* () {
      yield Buffer.from('{"format":');
      process.stdout.write('inside\\n');
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
    });`;
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    child.stdout.on('data', () => child.kill('SIGKILL'));
    child.on('error', fail);
    child.on('close', (_code, signal) => (signal === 'SIGKILL' ? done() : fail(new Error(`the child ended by itself (${signal})`))));
  });
}

describe('a session whose creation was killed', () => {
  it('leaves no temporary file of the killed process once the session is created or opened again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'at-killed-create-'));
    const path = join(dir, 'pool.session');

    await killInsideCreate(path);
    expect(readdirSync(dir)).toHaveLength(1);
    await (await ActiveTestingSession.create(path, options)).close();
    expect(readdirSync(dir)).toEqual(['pool.session']);

    // A creation killed beside an existing session (another process racing to create it).
    await killInsideCreate(path);
    expect(readdirSync(dir)).toHaveLength(2);
    await (await ActiveTestingSession.open(path)).close();
    expect(readdirSync(dir)).toEqual(['pool.session']);
  });
});
