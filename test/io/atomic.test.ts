import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OutputExistsError } from '../../src/errors.js';
import { assertOutputsWritable, writeFileAtomic, writeOutputFolder } from '../../src/io/atomic.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'atomic-test-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('writeFileAtomic', () => {
  it('creates missing folders and leaves no temporary file', async () => {
    const path = join(dir, 'a/b/summary.json');
    await writeFileAtomic(path, '{"x":1}');
    expect(await readFile(path, 'utf8')).toBe('{"x":1}');
    expect(await readdir(join(dir, 'a/b'))).toEqual(['summary.json']);
  });

  it("removes its file's temporaries that a killed writer left, and keeps a running writer's", async () => {
    const path = join(dir, 'summary.json');
    // A process that has exited: its temporary would otherwise stay for good.
    const dead = Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
    const killed = `.summary.json.${dead}.0123abcd.tmp`;
    const running = `.summary.json.${process.ppid}.0123abcd.tmp`;
    const otherFile = `.other.json.${dead}.0123abcd.tmp`;
    for (const name of [killed, running, otherFile]) await writeFile(join(dir, name), 'partial');
    await writeFileAtomic(path, '{"x":1}');
    expect((await readdir(dir)).sort()).toEqual([otherFile, running, 'summary.json'].sort());
  });

  it('refuses an existing file unless forced', async () => {
    const path = join(dir, 'x.bin');
    await writeFileAtomic(path, Uint8Array.from([1, 2]));
    const refusal = writeFileAtomic(path, Uint8Array.from([3]));
    await expect(refusal).rejects.toThrow(OutputExistsError);
    await expect(refusal).rejects.toThrow(`${path} already exists`);
    expect([...(await readFile(path))]).toEqual([1, 2]);
    await writeFileAtomic(path, Uint8Array.from([3]), { force: true });
    expect([...(await readFile(path))]).toEqual([3]);
    expect(await readdir(dir)).toEqual(['x.bin']);
  });

  it('removes its temporary file when the rename fails', async () => {
    const path = join(dir, 'target');
    await writeFileAtomic(join(path, 'inside'), 'occupies target as a folder');
    await expect(writeFileAtomic(path, 'data', { force: true })).rejects.toThrow();
    expect(await readdir(dir)).toEqual(['target']);
  });
});

describe('writeOutputFolder', () => {
  const files = [
    { name: 'estimates.npy', data: Uint8Array.from([1]) },
    { name: 'summary.json', data: '{}' },
  ];

  it('writes every file, and refuses any existing one without force, writing nothing', async () => {
    const out = join(dir, 'run');
    expect(await writeOutputFolder(out, files)).toEqual([join(out, 'estimates.npy'), join(out, 'summary.json')]);
    await rm(join(out, 'estimates.npy'));
    await expect(
      writeOutputFolder(out, [
        { name: 'estimates.npy', data: 'new' },
        { name: 'summary.json', data: 'new' },
      ]),
    ).rejects.toThrow(`${join(out, 'summary.json')} already exists`);
    expect((await readdir(out)).sort()).toEqual(['summary.json']);
    expect(await readFile(join(out, 'summary.json'), 'utf8')).toBe('{}');
  });

  it('refuses an existing managed file too, and with force replaces all and removes stale managed files', async () => {
    const out = join(dir, 'run');
    await writeOutputFolder(out, [...files, { name: 'bootstrap_variance.npy', data: 'old' }]);
    await writeFile(join(out, 'notes.txt'), 'user file');
    await expect(writeOutputFolder(out, files.slice(0, 1), { managed: ['bootstrap_variance.npy'] })).rejects.toThrow(OutputExistsError);
    await writeOutputFolder(
      out,
      [
        { name: 'estimates.npy', data: 'new' },
        { name: 'summary.json', data: 'new' },
      ],
      {
        force: true,
        managed: ['bootstrap_variance.npy', 'q.npy'],
      },
    );
    expect((await readdir(out)).sort()).toEqual(['estimates.npy', 'notes.txt', 'summary.json']);
    expect(await readFile(join(out, 'estimates.npy'), 'utf8')).toBe('new');
    expect(await readFile(join(out, 'notes.txt'), 'utf8')).toBe('user file');
  });

  it('writes a file given as parts one after the other, from plain and shared memory', async () => {
    const out = join(dir, 'run');
    const shared = new Uint8Array(new SharedArrayBuffer(4));
    shared.set([7, 8, 9, 10]);
    await writeOutputFolder(
      out,
      [
        { name: 'parts.bin', data: [Uint8Array.of(1, 2), Uint8Array.of(3, 4, 5, 6).subarray(1, 3), shared] },
        { name: 'empty.bin', data: [] },
        ...files,
      ],
      { commitMarker: 'summary.json' },
    );
    expect(Array.from(await readFile(join(out, 'parts.bin')))).toEqual([1, 2, 4, 5, 7, 8, 9, 10]);
    expect((await readFile(join(out, 'empty.bin'))).length).toBe(0);
    expect((await readdir(out)).sort()).toEqual(['empty.bin', 'estimates.npy', 'parts.bin', 'summary.json']);
  });

  it("makes the marker's contents once the other files are open, before any is in place", async () => {
    const out = join(dir, 'run');
    let seen: string[] = [];
    await writeOutputFolder(
      out,
      [
        {
          name: 'summary.json',
          data: () => {
            seen = readdirSync(out);
            return '{"made": true}';
          },
        },
        { name: 'estimates.npy', data: 'rows' },
        { name: 'q.npy', data: () => [Uint8Array.of(1)] },
      ],
      { commitMarker: 'summary.json' },
    );
    // Both other files are open under temporary names, none renamed yet, the marker not begun.
    expect(seen.filter((name) => name.endsWith('.tmp')).length).toBe(2);
    expect(seen.filter((name) => !name.endsWith('.tmp'))).toEqual([]);
    expect(await readFile(join(out, 'summary.json'), 'utf8')).toBe('{"made": true}');
    expect(await readFile(join(out, 'estimates.npy'), 'utf8')).toBe('rows');
  });

  it("writes the other files while the marker's contents are made in turns", async () => {
    const out = join(dir, 'run');
    const big = new Uint8Array(3 << 20).fill(7);
    let turns = 0;
    await writeOutputFolder(
      out,
      [
        { name: 'estimates.npy', data: big },
        { name: 'q.npy', data: () => [big.subarray(0, 10), big.subarray(10)] },
        {
          name: 'summary.json',
          data: async () => {
            // Until both files are written: each of their steps needs a turn of the event loop.
            while (
              (await readdir(out)).filter((name) => name.endsWith('.tmp')).some((name) => statSync(join(out, name)).size < big.length)
            ) {
              await new Promise((resolve) => setImmediate(resolve));
              turns++;
            }
            return '{"made": true}';
          },
        },
      ],
      { commitMarker: 'summary.json' },
    );
    expect(turns).toBeGreaterThan(0);
    expect((await readdir(out)).sort()).toEqual(['estimates.npy', 'q.npy', 'summary.json']);
    expect((await readFile(join(out, 'q.npy'))).equals(Buffer.from(big))).toBe(true);
    expect(await readFile(join(out, 'summary.json'), 'utf8')).toBe('{"made": true}');
  });

  it("leaves nothing behind, and the old outputs whole, when making the marker's contents fails", async () => {
    const out = join(dir, 'run');
    await writeOutputFolder(out, files, { commitMarker: 'summary.json' });
    const failing = [
      { name: 'estimates.npy', data: 'new' },
      {
        name: 'summary.json',
        data: () => {
          throw new Error('summary failed');
        },
      },
    ];
    await expect(writeOutputFolder(out, failing, { force: true, commitMarker: 'summary.json' })).rejects.toThrow('summary failed');
    expect((await readdir(out)).sort()).toEqual(['estimates.npy', 'summary.json']);
    expect(Array.from(await readFile(join(out, 'estimates.npy')))).toEqual([1]);
    expect(await readFile(join(out, 'summary.json'), 'utf8')).toBe('{}');
  });

  it("leaves nothing behind when making another file's contents fails", async () => {
    const out = join(dir, 'run');
    const failing = [
      { name: 'estimates.npy', data: 'new' },
      {
        name: 'q.npy',
        data: async () => {
          await new Promise((resolve) => setImmediate(resolve));
          throw new Error('q failed');
        },
      },
      { name: 'summary.json', data: '{}' },
    ];
    await expect(writeOutputFolder(out, failing, { commitMarker: 'summary.json' })).rejects.toThrow('q failed');
    // Not even the folder, which this call created.
    expect(existsSync(out)).toBe(false);
  });

  it('leaves nothing behind when one file cannot be written', async () => {
    const out = join(dir, 'run');
    await expect(writeOutputFolder(out, [...files, { name: 'missing-folder/x.npy', data: 'x' }])).rejects.toThrow(/ENOENT/);
    expect(existsSync(out)).toBe(false);
  });

  it('keeps a folder that was there before a failed write, and what another process put in a new one', async () => {
    const out = join(dir, 'kept');
    await mkdir(out);
    const failing = [...files, { name: 'missing-folder/x.npy', data: 'x' }];
    await expect(writeOutputFolder(out, failing)).rejects.toThrow(/ENOENT/);
    expect(await readdir(out)).toEqual([]);
    const nested = join(dir, 'new', 'run');
    // A file another process writes into the new parent folder while this write is under way.
    const othersMeanwhile = {
      name: 'q.npy',
      data: async () => {
        await writeFile(join(dir, 'new', 'other.txt'), 'theirs');
        throw new Error('q failed');
      },
    };
    await expect(writeOutputFolder(nested, [othersMeanwhile])).rejects.toThrow('q failed');
    expect(existsSync(nested)).toBe(false);
    expect(await readdir(join(dir, 'new'))).toEqual(['other.txt']);
  });
});

describe('assertOutputsWritable', () => {
  it('passes on a missing folder, refuses an existing file, and passes with force', async () => {
    await assertOutputsWritable(join(dir, 'none'), ['a']);
    await writeFile(join(dir, 'a'), '');
    await expect(assertOutputsWritable(dir, ['b', 'a'])).rejects.toThrow(`${join(dir, 'a')} already exists`);
    await assertOutputsWritable(dir, ['a'], { force: true });
  });
});
