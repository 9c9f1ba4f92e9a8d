import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileFormatError } from '../../src/errors.js';
import { readTable } from '../../src/dataset/read-table.js';
import { readNpy } from '../../src/io/npy.js';
import { unreadableFile } from '../../src/io/unreadable.js';
import { ActiveTestingSession } from '../../src/session/session.js';
import { exportSessionLabels } from '../../src/session/export-labels.js';

describe('a file that cannot be read', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'at-unreadable-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is named by its plain reason and code, the path given once', async () => {
    const absent = join(dir, 'absent');
    await expect(readNpy(`${absent}.npy`)).rejects.toThrow(new FileFormatError(`${absent}.npy`, 'cannot read: no such file (ENOENT)'));
    await expect(readNpy(dir)).rejects.toThrow(new FileFormatError(dir, 'cannot read: a folder, not a file (EISDIR)'));
    await expect(readTable(`${absent}.tsv`)).rejects.toThrow(new FileFormatError(`${absent}.tsv`, 'cannot read: no such file (ENOENT)'));
    await expect(readTable(`${absent}.parquet`)).rejects.toThrow(
      new FileFormatError(`${absent}.parquet`, 'cannot read: no such file (ENOENT)'),
    );
    await expect(ActiveTestingSession.open(`${absent}.session`)).rejects.toThrow(
      new FileFormatError(`${absent}.session`, 'cannot read the session file: no such file (ENOENT)'),
    );
    expect(() => exportSessionLabels(`${absent}.session`)).toThrow(
      new FileFormatError(`${absent}.session`, 'cannot read the session file: no such file (ENOENT)'),
    );
    await expect(readTable(join(`${absent}.tsv`, 'inner.tsv'))).rejects.toThrow(/cannot read: no such file \(ENOENT\)$/);
  });

  it('names the .npy file that numpy.save wrote for a name without .npy, when that is the one missing', async () => {
    const saved = join(dir, 'scores');
    await writeFile(`${saved}.npy`, new Uint8Array(0));
    await expect(readNpy(saved, '--model-scores')).rejects.toThrow(
      new FileFormatError(
        saved,
        `cannot read: no such file (ENOENT); ${saved}.npy exists (numpy.save adds .npy to a name without it): pass that`,
        '--model-scores',
      ),
    );
    // Another name missing, or one that has .npy already, keeps the plain reason.
    await expect(readNpy(join(dir, 'other'))).rejects.toThrow(
      new FileFormatError(join(dir, 'other'), 'cannot read: no such file (ENOENT)'),
    );
    await writeFile(join(dir, 'f.npy.npy'), new Uint8Array(0));
    await expect(readNpy(join(dir, 'f.npy'))).rejects.toThrow(
      new FileFormatError(join(dir, 'f.npy'), 'cannot read: no such file (ENOENT)'),
    );
  });

  it('keeps an unknown system code as it is, and any other error by its message and code', () => {
    expect(unreadableFile('f', Object.assign(new Error('x'), { code: 'ELOOP', syscall: 'open' })).reason).toBe('cannot read: ELOOP');
    expect(unreadableFile('f', Object.assign(new Error('x'), { code: 'EACCES', syscall: 'open' }), 'the session file').reason).toBe(
      'cannot read the session file: permission denied (EACCES)',
    );
    expect(unreadableFile('f', new Error('stream ended')).reason).toBe('cannot read: stream ended');
    // Node's own checks carry a code but are no failed system call: their message is the reason.
    const tooLarge = Object.assign(new RangeError('File size (3221225472) is greater than 2 GiB'), { code: 'ERR_FS_FILE_TOO_LARGE' });
    expect(unreadableFile('f', tooLarge).reason).toBe('cannot read: File size (3221225472) is greater than 2 GiB (ERR_FS_FILE_TOO_LARGE)');
  });
});
