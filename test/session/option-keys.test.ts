import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ActiveTestingSession, InputError } from '../../src/index.js';

const pool = {
  texts: ['a', 'b', 'c', 'd'],
  classes: ['x', 'y'],
  modelScores: [
    [1, 0],
    [0, 1],
    [2, 0],
    [0, 2],
  ],
};
const dir = mkdtempSync(join(tmpdir(), 'session-option-keys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("a session method's options keys", () => {
  it('refuses a misspelt annotator on record and skip, and records nothing', async () => {
    const session = await ActiveTestingSession.create(null, pool);
    const [first] = await session.next(1);
    await expect(session.record(first!.id, 'x', { anotator: 'ana' } as never)).rejects.toMatchObject({
      name: 'InputError',
      argument: 'anotator',
      message: expect.stringContaining('did you mean annotator?') as unknown,
    });
    await expect(session.skip(first!.id, { anotator: 'ana' } as never)).rejects.toThrow(InputError);
    expect(session.estimate().labels).toBe(0);
    expect(session.lastResolution()).toBeUndefined();
  });

  it("refuses a misspelt annotator on undo instead of undoing another annotator's label", async () => {
    const session = await ActiveTestingSession.create(null, pool);
    const [first] = await session.next(1);
    await session.record(first!.id, 'y', { annotator: 'bo' });
    await expect(session.undo({ anotator: 'ana' } as never)).rejects.toThrow(
      /^anotator: expected a known option, did you mean annotator\?/,
    );
    expect(session.lastResolution()).toEqual({ id: first!.id, label: 'y', annotator: 'bo' });
  });

  it('refuses a misspelt open option before reading the file', async () => {
    const path = join(dir, 'pool.session');
    const session = await ActiveTestingSession.create(path, pool);
    await session.close();
    await expect(ActiveTestingSession.open(path, { scoreTargt: () => [] } as never)).rejects.toMatchObject({
      name: 'InputError',
      argument: 'scoreTargt',
      message: expect.stringContaining('did you mean scoreTarget?') as unknown,
    });
    const reopened = await ActiveTestingSession.open(path);
    await reopened.close();
  });
});
