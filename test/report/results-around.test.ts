import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { assertOutsideOtherResults } from '../../src/report/results-around.js';

const root = mkdtempSync(join(tmpdir(), 'results-around-'));
const experiment = join(root, 'proj', 'exp');
for (const setting of ['a', 'b']) {
  mkdirSync(join(experiment, setting), { recursive: true });
  writeFileSync(join(experiment, setting, 'setting.json'), '{}');
}
writeFileSync(join(experiment, 'experiment.json'), JSON.stringify({ settings: [{ folder: 'a' }, { folder: 'b' }] }));
mkdirSync(join(root, 'cwd'));
symlinkSync(join('..', 'proj', 'exp', 'a'), join(root, 'cwd', 'link'));

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('assertOutsideOtherResults follows links as the system does', () => {
  it("takes link/.. as the folder above the link's target, not the folder holding the link", () => {
    const refused = (dir: string): boolean => {
      try {
        assertOutsideOtherResults(dir, '--out');
        return false;
      } catch {
        return true;
      }
    };
    const cwd = join(root, 'cwd');
    // `cwd/link/../b` is the experiment's setting b, though its text reads `cwd/b`.
    expect(refused(`${cwd}/link/../b`)).toBe(true);
    expect(refused(join(cwd, 'link'))).toBe(true);
    expect(refused(`${cwd}/link/../new-folder`)).toBe(false);
    expect(refused(join(cwd, 'b'))).toBe(false);
  });
});
