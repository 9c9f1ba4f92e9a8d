import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { FileFormatError, OutputExistsError } from '../../src/errors.js';
import { SessionLockedError } from '../../src/session/errors.js';
import { FileJournal } from '../../src/session/journal.js';
import { acquireSessionLock } from '../../src/session/lock.js';
import { processStart } from '../../src/io/lock.js';
import { crc32 } from '../../src/session/checksum.js';

const scratch = () => join(mkdtempSync(join(tmpdir(), 'at-journal-')), 'run.session');

describe('FileJournal', () => {
  it('stores the header and each appended record as one line, readable back', () => {
    const path = scratch();
    const journal = FileJournal.create(path, { format: 'x', n: 1 });
    journal.append({ e: 'propose', i: 3, q: 0.1 + 0.2 });
    journal.append({ e: 'label', i: 3, y: 1 });
    journal.close();
    expect(readFileSync(path, 'utf8').split('\n')).toHaveLength(4);
    const contents = FileJournal.read(path);
    expect(contents.header).toEqual({ format: 'x', n: 1 });
    expect(contents.records).toEqual([
      { e: 'propose', i: 3, q: 0.30000000000000004 },
      { e: 'label', i: 3, y: 1 },
    ]);
    expect(contents.tornLine).toBe(false);
  });

  it('refuses to create over an existing file', () => {
    const path = scratch();
    FileJournal.create(path, { a: 1 }).close();
    expect(() => FileJournal.create(path, { a: 2 })).toThrow(OutputExistsError);
    expect(FileJournal.read(path).header).toEqual({ a: 1 });
  });

  it('detects a torn last line, drops it, and cuts it off before appending again', () => {
    const path = scratch();
    const journal = FileJournal.create(path, { a: 1 });
    journal.append({ e: 'label', i: 0, y: 0 });
    journal.close();
    appendFileSync(path, '{"e":"label","i":1,');
    const contents = FileJournal.read(path);
    expect(contents.tornLine).toBe(true);
    expect(contents.records).toEqual([{ e: 'label', i: 0, y: 0 }]);
    const { journal: reopened, sideFile } = FileJournal.openForAppend(path, contents);
    expect(readFileSync(sideFile!, 'utf8')).toBe('{"e":"label","i":1,');
    reopened.append({ e: 'label', i: 2, y: 1 });
    reopened.close();
    const again = FileJournal.read(path);
    expect(again.tornLine).toBe(false);
    expect(again.records).toEqual([
      { e: 'label', i: 0, y: 0 },
      { e: 'label', i: 2, y: 1 },
    ]);
  });

  it('treats a complete but unparseable last line as torn, and a damaged middle line as an error', () => {
    const path = scratch();
    FileJournal.create(path, { a: 1 }).close();
    appendFileSync(path, '{"e":"label"\n');
    expect(FileJournal.read(path).tornLine).toBe(true);
    appendFileSync(path, '{"e":"skip","i":0}\n');
    expect(() => FileJournal.read(path)).toThrow(FileFormatError);
    expect(() => FileJournal.read(join(tmpdir(), 'no-such-dir-at', 'x.session'))).toThrow(FileFormatError);
  });
});

describe('record checks', () => {
  it('computes the CRC-32 of zlib, gzip and PNG, continued across chunks', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    expect(crc32(Buffer.alloc(0))).toBe(0);
    const bytes = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 7919) % 256));
    expect(crc32(bytes.subarray(300), crc32(bytes.subarray(0, 300)))).toBe(crc32(bytes));
    // zlib's own, where this Node has it (20.15 and later).
    if (typeof zlib.crc32 === 'function') expect(crc32(bytes)).toBe(zlib.crc32(bytes));
  });

  it('ends each record line with the CRC-32 of the line without it, and takes it out when read', () => {
    const path = scratch();
    const journal = FileJournal.create(path, { a: 1 });
    journal.append({ s: 1, e: 'label', i: 3, y: 1, a: 'zoë' });
    journal.close();
    const line = readFileSync(path, 'utf8').split('\n')[1];
    const json = '{"s":1,"e":"label","i":3,"y":1,"a":"zoë"}';
    expect(line).toBe(`${json.slice(0, -1)},"c":"${crc32(Buffer.from(json, 'utf8')).toString(16).padStart(8, '0')}"}`);
    expect(FileJournal.read(path).records).toEqual([{ s: 1, e: 'label', i: 3, y: 1, a: 'zoë' }]);
    // Every single-bit change to a line between two others is refused: a CRC-32 detects them all,
    // a line that no longer parses is damaged, and one whose check lost its key follows a checked one.
    const reopened = FileJournal.openForAppend(path, FileJournal.read(path)).journal;
    reopened.append({ s: 2, e: 'skip', i: 4 });
    reopened.append({ s: 3, e: 'undo', i: 4 });
    reopened.close();
    const bytes = readFileSync(path);
    const start = bytes.indexOf(0x0a, bytes.indexOf(0x0a) + 1) + 1;
    for (let at = start; at < bytes.indexOf(0x0a, start); at++) {
      for (let bit = 0; bit < 8; bit++) {
        const flipped = Buffer.from(bytes);
        flipped[at] ^= 1 << bit;
        writeFileSync(path, flipped);
        expect(() => FileJournal.read(path)).toThrow(FileFormatError);
      }
    }
  });

  // The first checked line had no checked line before it, so its key changed ("a" for "c") read as
  // an unchecked line; a changed last line, ending in its newline, was set aside as torn by a crash
  // and its label asked again, a warning blaming the crash.
  it('never reads a changed byte of any record line as another record: refused, or at worst the last line set aside', () => {
    const path = scratch();
    const journal = FileJournal.create(path, { a: 1 });
    journal.append({ s: 1, e: 'label', i: 3, y: 1 });
    journal.append({ s: 2, e: 'skip', i: 4 });
    journal.append({ s: 3, e: 'label', i: 5, y: 0 });
    journal.close();
    const bytes = readFileSync(path);
    const records = FileJournal.read(path).records;
    const firstRecord = bytes.indexOf(0x0a) + 1;
    let setAside = 0;
    // Every byte of the three record lines but the file's last newline (without which the line is a crash's).
    for (let at = firstRecord; at < bytes.length - 1; at++) {
      for (let bit = 0; bit < 8; bit++) {
        const flipped = Buffer.from(bytes);
        flipped[at] ^= 1 << bit;
        writeFileSync(path, flipped);
        let read: ReturnType<typeof FileJournal.read>;
        try {
          read = FileJournal.read(path);
        } catch (error) {
          expect(error).toBeInstanceOf(FileFormatError);
          continue;
        }
        // Only a change to the last line's check field itself leaves a line a crash could have left.
        expect(read.tornLine).toBe(true);
        expect(read.records).toEqual(records.slice(0, 2));
        expect(at).toBeGreaterThanOrEqual(bytes.length - 1 - ',"c":"01234567"}'.length);
        setAside++;
      }
    }
    expect(setAside).toBeLessThan(8 * 8);
    // The first record's check key changed: refused with its own reason.
    const text = bytes.toString('utf8').replace(',"c":"', ',"a":"');
    writeFileSync(path, text);
    expect(() => FileJournal.read(path)).toThrow(/line 2 is damaged \(its check's key "c" was changed/);
  });
});

describe('the session lock', () => {
  it('refuses a second writer while the first holds the lock, and frees it on release', () => {
    const path = scratch();
    const lock = acquireSessionLock(path);
    expect(() => acquireSessionLock(path)).toThrow(SessionLockedError);
    // This process holds it (another session object, not closed): no other process to look for.
    expect(() => acquireSessionLock(path)).toThrow(new SessionLockedError(path, process.pid, hostname()).message);
    expect(new SessionLockedError(path, process.pid, hostname()).message).toBe(
      `${path} is already open for writing in this process (process ${process.pid}); close() the session that opened it first`,
    );
    expect(new SessionLockedError(path, process.ppid, hostname()).message).toBe(
      `${path} is open for writing by process ${process.ppid} on ${hostname()}; close it there first ` +
        `(if that process is gone from another machine, delete ${path}.lock)`,
    );
    lock.release();
    expect(existsSync(`${path}.lock`)).toBe(false);
    acquireSessionLock(path).release();
  });

  it('takes over a lock left by a process that no longer exists', () => {
    const path = scratch();
    const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const deadPid = Number(child.stdout);
    expect(deadPid).toBeGreaterThan(0);
    writeFileSync(`${path}.lock`, JSON.stringify({ pid: deadPid, host: hostname() }));
    const lock = acquireSessionLock(path);
    const started = processStart(process.pid);
    expect(JSON.parse(readFileSync(`${path}.lock`, 'utf8'))).toEqual({
      pid: process.pid,
      host: hostname(),
      ...(started !== undefined && { started }),
    });
    lock.release();
  });

  it('does not take over a lock held by a live process', () => {
    const path = scratch();
    writeFileSync(`${path}.lock`, JSON.stringify({ pid: process.ppid, host: hostname() }));
    expect(() => acquireSessionLock(path)).toThrow(SessionLockedError);
    writeFileSync(`${path}.lock`, JSON.stringify({ pid: process.ppid, host: hostname(), started: processStart(process.ppid) }));
    expect(() => acquireSessionLock(path)).toThrow(SessionLockedError);
  });
});

// A container's main process gets the same pid after each restart (1, or the few its init takes
// first), and a reboot hands pids out again: a lock left by a process killed before must not lock
// out the later process that was given its pid, nor the one that reused it for something else.
describe.runIf(processStart(process.pid) !== undefined)('the session lock of a pid given to a later process', () => {
  it('records when its owner started, as /proc says', () => {
    const path = scratch();
    const lock = acquireSessionLock(path);
    const started = JSON.parse(readFileSync(`${path}.lock`, 'utf8')).started as string;
    lock.release();
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const stat = readFileSync('/proc/self/stat', 'utf8');
    expect(started).toBe(`${boot}:${stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]}`);
  });

  it('takes over a lock naming the pid of this process with another start (its former self)', () => {
    const path = scratch();
    const formerSelf = { pid: process.pid, host: hostname(), started: 'an-earlier-boot:12345' };
    writeFileSync(`${path}.lock`, JSON.stringify(formerSelf));
    const lock = acquireSessionLock(path);
    const owner = JSON.parse(readFileSync(`${path}.lock`, 'utf8')) as { pid: number; started: string };
    expect(owner.pid).toBe(process.pid);
    expect(owner.started).not.toBe(formerSelf.started);
    expect(() => acquireSessionLock(path)).toThrow(SessionLockedError);
    lock.release();
    expect(existsSync(`${path}.lock`)).toBe(false);
  });

  it('takes over a lock naming a live pid that another process holds now, started after the owner of the lock', () => {
    const path = scratch();
    writeFileSync(`${path}.lock`, JSON.stringify({ pid: process.ppid, host: hostname(), started: 'an-earlier-boot:12345' }));
    acquireSessionLock(path).release();
    expect(existsSync(`${path}.lock`)).toBe(false);
  });
});

describe.runIf(processStart(process.pid) !== undefined)('the session lock naming the pid of this process', () => {
  it('is taken over without the start of this process: a former process with this pid left it (an older version)', () => {
    const path = scratch();
    writeFileSync(`${path}.lock`, JSON.stringify({ pid: process.pid, host: hostname() }));
    const lock = acquireSessionLock(path);
    expect(() => acquireSessionLock(path)).toThrow(
      `${path} is already open for writing in this process (process ${process.pid}); close() the session that opened it first`,
    );
    lock.release();
    expect(existsSync(`${path}.lock`)).toBe(false);
  });

  it('is held with the start of this process, whatever spelling of its path took it (a linked folder)', () => {
    const path = scratch();
    const linkedFolder = `${dirname(path)}-link`;
    symlinkSync(dirname(path), linkedFolder);
    const lock = acquireSessionLock(path);
    expect(() => acquireSessionLock(join(linkedFolder, basename(path)))).toThrow(SessionLockedError);
    lock.release();
    expect(existsSync(`${path}.lock`)).toBe(false);
  });
});

describe('the session lock release', () => {
  it.runIf(processStart(process.pid) !== undefined)(
    'leaves alone a lock of this pid with another start (another pid namespace took it over)',
    () => {
      const path = scratch();
      const lock = acquireSessionLock(path);
      const other = JSON.stringify({ pid: process.pid, host: hostname(), started: 'another-boot:12345' });
      writeFileSync(`${path}.lock`, other);
      lock.release();
      expect(readFileSync(`${path}.lock`, 'utf8')).toBe(other);
    },
  );

  it('leaves alone a lock that another process has taken over', () => {
    const path = scratch();
    const lock = acquireSessionLock(path);
    const other = JSON.stringify({ pid: process.ppid, host: hostname() });
    writeFileSync(`${path}.lock`, other);
    lock.release();
    expect(readFileSync(`${path}.lock`, 'utf8')).toBe(other);
  });
});

describe('the session lock leftovers', () => {
  it('removes the pid files and moved-aside locks of killed acquisitions once they are a minute old, and nothing else', () => {
    const path = scratch();
    const dead = Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
    const old = new Date(Date.now() - 120_000);
    const names = {
      oldTemporary: `${path}.lock.${dead}.0badf00d.tmp`,
      oldAside: `${path}.lock.${dead}.0badf00d.stale`,
      recent: `${path}.lock.${dead}.12345678.tmp`,
      live: `${path}.lock.${process.pid}.87654321.tmp`,
      unrelated: `${path}.lock.notes`,
    };
    for (const name of Object.values(names)) writeFileSync(name, '{}');
    for (const name of [names.oldTemporary, names.oldAside, names.live, names.unrelated]) utimesSync(name, old, old);
    acquireSessionLock(path).release();
    expect(existsSync(names.oldTemporary)).toBe(false);
    expect(existsSync(names.oldAside)).toBe(false);
    expect(existsSync(names.recent)).toBe(true);
    expect(existsSync(names.live)).toBe(true);
    expect(existsSync(names.unrelated)).toBe(true);
  });
});
