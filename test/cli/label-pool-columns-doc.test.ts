import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// docs/sessions.md's `label` example creates a session from `--data pool.tsv` without naming its
// columns: the page must say which columns are read by default, as `label --help` does, or a user
// whose pool has a `text` column meets `no column "sentence"` with nothing in the docs about it.

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const cliPath = join(repoRoot, 'dist/cli.js');

describe("docs/sessions.md on label's pool columns", () => {
  it('names the default text and id columns that label --help gives', () => {
    // Its help wraps to the terminal's width: read with its lines joined.
    const help = spawnSync(process.execPath, [cliPath, 'label', '--help'], { encoding: 'utf8' }).stdout.replace(/\s+/g, ' ');
    const textColumn = /--text-column NAME the column holding the text \(default (\w+)\)/.exec(help)?.[1];
    const idColumn = /--id-column NAME the column holding item ids, stored in the session \(default (\w+) if present/.exec(help)?.[1];
    expect([textColumn, idColumn]).toEqual(['sentence', 'id']);
    const labelSection = readFileSync(join(repoRoot, 'docs/sessions.md'), 'utf8').split('## `active-testing label`')[1]!;
    const prose = labelSection.replace(/\s+/g, ' ');
    expect(prose).toContain(`text in its \`${textColumn}\` column`);
    expect(prose).toContain('`--text-column`');
    expect(prose).toContain(`its id in the \`${idColumn}\` column if there is one (\`--id-column\`)`);
  });
});
