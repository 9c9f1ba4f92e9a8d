import { describe, expect, it } from 'vitest';
import { resolveExperimentConfig } from '../src/experiment/config.js';
import { fencedBlocks } from './helpers/doc-blocks.js';

// The experiment grids the docs show (```json blocks) must be grids the parser takes, as the
// TypeScript blocks must compile (docs-snippets.test.ts). A block that is a fragment of a grid
// (keys without their braces) is checked inside a grid with placeholder score and label files.
const GRIDS = { 'docs/experiments.md': 4, 'docs/reproduce-paper.md': 1 };

function asGrid(code: string): unknown {
  try {
    return JSON.parse(code);
  } catch {
    return { modelScores: 'f.npy', labels: 'y.npy', ...(JSON.parse(`{${code}}`) as object) };
  }
}

describe('the experiment grids in the docs', () => {
  for (const [file, count] of Object.entries(GRIDS)) {
    it(`${file}: every grid is one the parser takes`, () => {
      const blocks = fencedBlocks(file, ['json']);
      expect(blocks).toHaveLength(count);
      for (const { line, code } of blocks)
        expect(() => resolveExperimentConfig(asGrid(code) as never, '/tmp'), `${file}:${line}`).not.toThrow();
    });
  }
});
