import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const RENDERERS = ['vega', 'vega-lite'];

/** The major.minor a dependency range admits, where it admits a single minor (`6.2`, `~6.4.1`); else null. */
function singleMinor(range: string): string | null {
  return /^(?:~\d+\.\d+\.\d+|\d+\.\d+(?:\.x)?)$/.test(range) ? range.replace(/^~/, '').split('.').slice(0, 2).join('.') : null;
}

/**
 * The figure renderers resolve to the minors the tests run, on every supported Node: npm prefers
 * a version whose `engines` admits the Node it runs on, so a wider range installs other versions
 * under Node 22 than under Node 20. vega-lite 6.5 (engines node >=22, peer vega ^6.4) did so:
 * under `^6.4.1` npm on Node 22 installed it with a second vega beside the package's 6.2, which
 * then rendered vega-lite 6.5's output, and the figures' legends came out laid out differently.
 */
describe('the renderer dependencies', () => {
  it('each admit a single minor, the one the lockfile holds', () => {
    const manifest = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const lock = JSON.parse(readFileSync(join(repo, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { version: string }>;
    };
    const minors = Object.fromEntries(RENDERERS.map((name) => [name, singleMinor(manifest.dependencies[name]!)]));
    const locked = Object.fromEntries(
      RENDERERS.map((name) => [name, lock.packages[`node_modules/${name}`]!.version.split('.').slice(0, 2).join('.')]),
    );
    expect(minors).toEqual(locked);
  });
});
