import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { writeNpy } from '../../src/io/npy.js';
import { syntheticPool } from '../../src/simulate/syntheticPool.js';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FAULTS } from './budget.js';
import { runCli, sessionWithAnswers, STACK_LINE } from './children.js';

/** Whether the tests can drop to the `nobody` user (they run as root in CI): root ignores permissions. */
function canRunAsNobody(): boolean {
  if (userInfo().uid !== 0) return false;
  return spawnSync('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', 'true']).status === 0;
}
const asNobody = canRunAsNobody();
if (!asNobody) console.warn('NOTICE: unwritable-folder fault tests skipped: they need root and setpriv to run the CLI as nobody');

const UNWRITABLE_CASES = FAULTS.unwritable;

describe.runIf(asNobody)('sessions in places nobody may write, run as the user nobody', () => {
  it('refuses each with one line on stderr, exit 1, no stack trace, and nothing left behind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'at-fault-perm-'));
    chmodSync(dir, 0o755);
    const { session, answers } = await sessionWithAnswers(dir, 30, 4);
    chmodSync(session, 0o644);
    chmodSync(answers, 0o644);
    const before = readdirSync(dir).sort();
    const scores = join(dir, 'f.npy');
    await writeNpy(scores, { data: syntheticPool({ poolSize: 30, classCount: 2, seed: 4 }).modelScores.data, shape: [30, 2], dtype: 'f8' });
    chmodSync(scores, 0o644);
    const pool = ['--data', answers, '--text-column', 'label', '--classes', 'negative,positive', '--model-scores', scores];
    // A folder anyone may write, holding a session file that only root may write.
    const open = join(dir, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    const readOnly = (await sessionWithAnswers(open, 30, 4)).session;
    chmodSync(readOnly, 0o644);
    // A folder nobody may not even look into, holding one that exists.
    const locked = join(dir, 'locked');
    mkdirSync(join(locked, 'sub'), { recursive: true });
    chmodSync(locked, 0o700);
    const cases: Array<[string, string[], RegExp]> = [
      // Root-owned folder, mode 755: nobody cannot create the lock.
      [
        'open in a read-only folder',
        ['label', '--session', session, '--answers', answers],
        /cannot create the lock file .*pool\.session\.lock \(EACCES\); nothing was written/,
      ],
      [
        'export to a read-only folder',
        ['label', '--session', session, '--export-labels', join(dir, 'labels.tsv')],
        /^active-testing label: --export-labels: expected a folder that can be written, got "[^"]*" \(it is not writable by this user\)$/m,
      ],
      [
        'create in a read-only folder',
        ['label', '--session', join(dir, 'new.session'), '--answers', answers, ...pool],
        // Named as the flag and the path given, as a missing folder is.
        new RegExp(
          `^active-testing label: --session: expected a file in an existing folder that can be written \\(the session file is created, not its folder\\), got "${join(dir, 'new.session')}" \\(${dir} is not writable by this user\\)$`,
          'm',
        ),
      ],
      [
        'create below a folder that may not be searched',
        ['label', '--session', join(locked, 'sub', 'new.session'), '--answers', answers, ...pool],
        // Not "does not exist": the folder is there.
        new RegExp(`, got "${join(locked, 'sub', 'new.session')}" \\(${join(locked, 'sub')} cannot be read \\(EACCES\\)\\)$`, 'm'),
      ],
      [
        'open a read-only session file',
        ['label', '--session', readOnly, '--answers', answers],
        /cannot open for writing the session file .*pool\.session \(EACCES\)$/m,
      ],
    ];
    for (const [name, args, message] of cases) {
      const run = await runCli(args, '', null, 'nobody');
      expect(run.code, name).not.toBe(0);
      expect(run.stderr, name).not.toMatch(STACK_LINE);
      expect(run.stderr.trimEnd().split('\n'), `${name}: ${run.stderr}`).toHaveLength(1);
      expect(run.stderr, name).toMatch(message);
    }
    expect(cases).toHaveLength(UNWRITABLE_CASES);
    expect(readdirSync(dir).sort()).toEqual([...before, 'f.npy', 'locked', 'open'].sort());
    expect(readdirSync(join(locked, 'sub'))).toEqual([]);
    expect(readdirSync(open).sort()).toEqual(['answers.tsv', 'pool.session']);
    expect(existsSync(`${session}.lock`)).toBe(false);
  });
});
