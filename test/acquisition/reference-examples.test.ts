import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import * as reference from '../../src/reference/index.js';
import { syntheticPool } from '../../src/index.js';

// The `@example` blocks of the Python-parity classes (`active-testing/reference`) are what a user
// of the published code copies first. They make no claim that test/doc-examples.test.ts could
// check, and they use the reader's own pool (`f`, `g`, `y`); here each runs as written on a
// synthetic pool and must finish without an error.
const source = join(resolve(dirname(fileURLToPath(import.meta.url)), '../..'), 'src/reference/acquisition.ts');

/** The text of each `@example` block of `source`, with the comment's leading `*` removed. */
function examples(): Array<{ line: number; code: string }> {
  const text = readFileSync(source, 'utf8');
  return [...text.matchAll(/^ \* @example\n((?: \*(?: .*)?\n)+?) \*(?:\/| @)/gm)].map((match) => ({
    line: text.slice(0, match.index).split('\n').length + 1,
    code: match[1]!.replace(/^ \* ?/gm, ''),
  }));
}

const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor as new (
  ...args: string[]
) => (...values: unknown[]) => Promise<void>;

describe('the @example blocks of the Acquisition classes', () => {
  const pool = syntheticPool({ poolSize: 1000, seed: 0 });
  const names = { ...reference, f: pool.modelScores, g: pool.surrogateScores, y: pool.labels };
  const blocks = examples();

  it('are found (one per class)', () => {
    expect(blocks.length).toBe(5);
  });

  for (const block of blocks) {
    it(`src/reference/acquisition.ts:${block.line} runs as written`, async () => {
      const js = ts.transpileModule(block.code, { compilerOptions: { target: ts.ScriptTarget.ES2022 } }).outputText;
      await expect(new AsyncFunction(...Object.keys(names), js)(...Object.values(names))).resolves.toBeUndefined();
    });
  }
});
