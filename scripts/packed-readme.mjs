// The npm page shows the packed README.md, where relative links such as `docs/options.md` lead
// nowhere: the package names no repository. `npm pack` and `npm publish` run
// `node scripts/packed-readme.mjs write` (prepack), which points every relative link at the
// packed file on unpkg (https://unpkg.com/active-testing@<version>/docs/options.md), and
// `node scripts/packed-readme.mjs restore` (postpack), which puts the README back. Links are
// checked before anything is written: a link to a file the package does not ship fails the pack
// and leaves the README untouched. The original waits in .tmp/ during the pack; should a pack die
// between the two steps, the next `write` or `restore` puts it back first. docs/design.md
// ("The npm page") says why.
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, posix, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Inline Markdown links and images: `[text](target)` or `[text](target "title")`. */
const LINK = /(\]\()([^)\s]+)((?:\s+"[^"]*")?\))/g;

/** Whether `target` is a path inside the package (not a URL, a `mailto:` or an in-page anchor). */
const isRelative = (target) => !/^[a-z][a-z0-9+.-]*:/i.test(target) && !target.startsWith('#') && !target.startsWith('/');

/**
 * Whether the package's `files` field ships `path` (relative to the package root): an entry is a
 * file, a folder (everything under it) or a pattern whose `*` stands for one path segment.
 */
export function isPackedPath(path, files) {
  return files.some((entry) => {
    if (!entry.includes('*')) return path === entry || path.startsWith(`${entry.replace(/\/$/, '')}/`);
    const pattern = entry.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
    return new RegExp(`^${pattern.join('[^/]*')}$`).test(path);
  });
}

/** The relative link targets of Markdown `text`, without their `#anchor`. */
export function relativeLinks(text) {
  return [...text.matchAll(LINK)].map((match) => match[2]).filter(isRelative);
}

/**
 * `text` (the README) with every relative link pointing at the packed file on unpkg.
 *
 * @throws {Error} naming every link whose file the package does not ship, or that does not exist.
 */
export function packedReadme(text, { name, version, files }, root) {
  const missing = relativeLinks(text).filter((target) => {
    const path = posix.normalize(target.split('#')[0]);
    return !isPackedPath(path, files) || !existsSync(join(root, path)) || !statSync(join(root, path)).isFile();
  });
  if (missing.length > 0) throw new Error(`README.md links to files the package does not ship: ${missing.join(', ')}`);
  return text.replace(LINK, (whole, open, target, close) =>
    isRelative(target) ? `${open}https://unpkg.com/${name}@${version}/${posix.normalize(target)}${close}` : whole,
  );
}

function main(command, root) {
  const readme = join(root, 'README.md');
  const saved = join(root, '.tmp/packed-readme/README.md');
  if (existsSync(saved)) renameSync(saved, readme);
  if (command === 'restore') return;
  if (command !== 'write') throw new Error(`usage: packed-readme.mjs write | restore (got ${command})`);
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const original = readFileSync(readme, 'utf8');
  const packed = packedReadme(original, manifest, root);
  mkdirSync(dirname(saved), { recursive: true });
  writeFileSync(saved, original);
  const temporary = `${readme}.packing`;
  writeFileSync(temporary, packed);
  renameSync(temporary, readme);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    main(process.argv[2], process.cwd());
  } catch (error) {
    console.error(`packed-readme: ${error.message}`);
    process.exitCode = 1;
  }
}
