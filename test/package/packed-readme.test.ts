import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPackedPath, relativeLinks } from '../../scripts/packed-readme.mjs';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const manifest = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { name: string; version: string; files: string[] };
const unpkg = `https://unpkg.com/${manifest.name}@${manifest.version}/`;

/** Every file under `dir`, as paths relative to it. */
function filesUnder(dir: string, prefix = ''): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(dir, posix.join(prefix, entry.name)) : [posix.join(prefix, entry.name)],
  );
}

/**
 * A copy of what the package ships besides the build (the README, docs, the pack scripts), so that
 * `npm pack` runs its prepack and postpack steps for real without touching the working tree.
 */
function packageCopy(readme: string): string {
  const copy = mkdtempSync(join(tmpdir(), 'at-pack-'));
  for (const file of ['package.json', 'LICENSE', 'CHANGELOG.md', 'scripts/packed-readme.mjs'])
    cpSync(join(repo, file), join(copy, file), { recursive: true });
  for (const file of filesUnder(join(repo, 'docs')).filter((f) => isPackedPath(`docs/${f}`, manifest.files)))
    cpSync(join(repo, 'docs', file), join(copy, 'docs', file));
  writeFileSync(join(copy, 'README.md'), readme);
  return copy;
}

/** `npm pack` in `folder` (scripts on); the unpacked tarball's folder, or the failure's stderr. */
function pack(folder: string): { unpacked: string } | { failed: string } {
  const destination = join(folder, '.packed');
  mkdirSync(destination);
  try {
    const output = execFileSync('npm', ['pack', '--json', '--pack-destination', destination], {
      cwd: folder,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const tarball = join(destination, (JSON.parse(output) as Array<{ filename: string }>)[0]!.filename);
    execFileSync('tar', ['-xzf', tarball, '-C', destination]);
    return { unpacked: join(destination, 'package') };
  } catch (error) {
    return { failed: String((error as { stderr?: string }).stderr) };
  }
}

describe('links on the npm page: the packed README and docs', () => {
  const readme = readFileSync(join(repo, 'README.md'), 'utf8');
  let copy: string;
  let unpacked: string;

  beforeAll(() => {
    copy = packageCopy(readme);
    const packed = pack(copy);
    if ('failed' in packed) throw new Error(`npm pack failed: ${packed.failed}`);
    unpacked = packed.unpacked;
  });

  afterAll(() => {
    if (copy) rmSync(copy, { recursive: true, force: true });
  });

  it('points every README link at a file of the tarball on unpkg, and puts the README back', () => {
    const packedReadme = readFileSync(join(unpacked, 'README.md'), 'utf8');
    expect(relativeLinks(packedReadme)).toEqual([]);
    const targets = [...packedReadme.matchAll(/\]\((https:\/\/unpkg\.com\/[^)\s#]+)/g)].map((m) => m[1]!);
    expect(targets.length).toBe(relativeLinks(readme).length);
    expect(targets.length).toBeGreaterThan(10);
    for (const target of targets) {
      expect(target.startsWith(unpkg), target).toBe(true);
      expect(existsSync(join(unpacked, target.slice(unpkg.length))), target).toBe(true);
    }
    expect(readFileSync(join(copy, 'README.md'), 'utf8')).toBe(readme);
    expect(existsSync(join(copy, '.tmp/packed-readme'))).toBe(true);
    expect(readdirSync(join(copy, '.tmp/packed-readme'))).toEqual([]);
  });

  it('keeps the links between docs relative, each to a file of the tarball', () => {
    const docs = readdirSync(join(unpacked, 'docs')).filter((f) => f.endsWith('.md'));
    expect(docs.length).toBeGreaterThan(5);
    let links = 0;
    for (const doc of docs) {
      const text = readFileSync(join(unpacked, 'docs', doc), 'utf8');
      expect(text, doc).not.toMatch(/\]\(https:\/\/unpkg\.com\//);
      for (const target of relativeLinks(text)) {
        links++;
        expect(existsSync(join(unpacked, 'docs', target.split('#')[0]!)), `${doc} → ${target}`).toBe(true);
      }
    }
    expect(links).toBeGreaterThan(10);
  });

  it('fails the pack on a link to a file the package does not ship, leaving the README as it was', () => {
    const broken = `${readme}\nSee [the benchmarks](bench/core.mjs) and [nothing](docs/missing.md).\n`;
    const brokenCopy = packageCopy(broken);
    try {
      const packed = pack(brokenCopy);
      expect('failed' in packed && packed.failed).toMatch(/does not ship: bench\/core\.mjs, docs\/missing\.md/);
      expect(readFileSync(join(brokenCopy, 'README.md'), 'utf8')).toBe(broken);
    } finally {
      rmSync(brokenCopy, { recursive: true, force: true });
    }
  });

  it('puts back a README left rewritten by a pack that died before its postpack step', () => {
    const interrupted = packageCopy(readme);
    try {
      execFileSync(process.execPath, ['scripts/packed-readme.mjs', 'write'], { cwd: interrupted });
      expect(readFileSync(join(interrupted, 'README.md'), 'utf8')).not.toBe(readme);
      execFileSync(process.execPath, ['scripts/packed-readme.mjs', 'write'], { cwd: interrupted });
      execFileSync(process.execPath, ['scripts/packed-readme.mjs', 'restore'], { cwd: interrupted });
      expect(readFileSync(join(interrupted, 'README.md'), 'utf8')).toBe(readme);
    } finally {
      rmSync(interrupted, { recursive: true, force: true });
    }
  });

  it('reads the files field as npm does', () => {
    expect(isPackedPath('docs/options.md', manifest.files)).toBe(true);
    expect(isPackedPath('docs/images/serve-desktop.png', manifest.files)).toBe(true);
    expect(isPackedPath('dist/index.js', manifest.files)).toBe(true);
    expect(isPackedPath('docs/api/index.html', manifest.files)).toBe(false);
    expect(isPackedPath('bench/core.mjs', manifest.files)).toBe(false);
  });
});
