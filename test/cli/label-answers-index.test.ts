import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLASSES, CLI, createArgs, writePoolFiles } from '../session/cli-pool.js';

const run = (args: string[]) => spawnSync(process.execPath, [...CLI, ...args], { encoding: 'utf8' });

describe('label --answers: the index column pandas writes', () => {
  it("refuses answers by row whose unnamed index (to_csv's) names other rows, and reads an index of the row numbers", async () => {
    const files = await writePoolFiles(12, 4);
    // A pool numbered by row, as a frame written with to_csv(index=False) is.
    const data = join(files.dir, 'by-row.tsv');
    writeFileSync(data, ['sentence', ...files.texts].join('\n') + '\n');
    const args = createArgs(files, join(files.dir, 'a.session'), 0);
    args[args.indexOf('--data') + 1] = data;
    const answerOf = (i: number) => CLASSES[files.pool.labels[i]!]!;
    // df.sample(frac=1).to_csv(path): each row led by its index, under an empty name (or, for a
    // frame read back with read_csv and written again, "Unnamed: 0").
    const shuffled = [3, 0, ...Array.from({ length: 12 }, (_, i) => i).filter((i) => i !== 3 && i !== 0)];
    for (const name of ['', 'Unnamed: 0']) {
      const answers = join(files.dir, 'shuffled.csv');
      writeFileSync(answers, [`${name},label`, ...shuffled.map((i) => `${i},${answerOf(i)}`)].join('\r\n') + '\r\n');
      const session = join(files.dir, `shuffled-${name.length}.session`);
      args[args.indexOf('--session') + 1] = session;
      const refused = run([...args, '--answers', answers, '--max-labels', '3']);
      expect(refused.status).toBe(1);
      const column = name === '' ? "the unnamed column (pandas' index, which to_csv writes unless index=False)" : 'column "Unnamed: 0"';
      expect(refused.stderr).toBe(
        `active-testing label: ${answers}: line 2: no "id" column, so answers go to items by row, but ${column} reads "3" here, not the row number 0: name it id if it holds the item ids, or remove it (--answers)\n`,
      );
      expect(existsSync(session)).toBe(false);
    }
    // The index of a frame in the pool's order is its row numbers: read by row, each answer its item's.
    const inOrder = join(files.dir, 'in-order.csv');
    writeFileSync(inOrder, [',label', ...files.texts.map((_, i) => `${i},${answerOf(i)}`)].join('\n'));
    args[args.indexOf('--session') + 1] = join(files.dir, 'in-order.session');
    const taken = run([...args, '--answers', inOrder, '--max-labels', '5']);
    expect(taken.status, taken.stderr).toBe(0);
    const labelled = [...taken.stdout.matchAll(/^labelled (\S+) (\S+)$/gm)];
    expect(labelled).toHaveLength(5);
    for (const [, id, label] of labelled) expect(label).toBe(answerOf(Number(id)));
    // A trailing delimiter (label,) makes an unnamed column of empty cells, which is no index.
    const trailing = join(files.dir, 'trailing.csv');
    writeFileSync(trailing, ['label,', ...files.texts.map((_, i) => `${answerOf(i)},`)].join('\n'));
    args[args.indexOf('--session') + 1] = join(files.dir, 'trailing.session');
    const kept = run([...args, '--answers', trailing, '--max-labels', '5']);
    expect(kept.status, kept.stderr).toBe(0);
    for (const [, id, label] of kept.stdout.matchAll(/^labelled (\S+) (\S+)$/gm)) expect(label).toBe(answerOf(Number(id)));
  });
});
