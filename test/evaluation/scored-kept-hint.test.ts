import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { withScoredKeptHint } from '../../src/evaluation/evaluate.js';
import { RemoteModelError } from '../../src/model/backends/openaiHttp.js';

const root = mkdtempSync(join(tmpdir(), 'at-scored-kept-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('withScoredKeptHint', () => {
  const failure = new RemoteModelError('http://host/v1/completions', (naming) => `HTTP 503 (set ${naming.option('maxRetries')})`, 503);

  it('keeps a served model failure a RemoteModelError, its status and URL, the hint after its reason', () => {
    const folder = mkdtempSync(join(root, 'scored-'));
    writeFileSync(join(folder, '.evaluate.partial.f32'), Buffer.alloc(8));
    const hinted = withScoredKeptHint(failure, { done: 8, total: 24 }, folder) as RemoteModelError;
    expect(hinted).toBeInstanceOf(RemoteModelError);
    expect([hinted.url, hinted.status]).toEqual(['http://host/v1/completions', 503]);
    const hint = 'the 8 of 24 items scored are kept: run the same command again to resume from them';
    expect(hinted.message).toBe(`http://host/v1/completions: HTTP 503 (set maxRetries); ${hint}`);
    expect(hinted.namedBy({ option: (name) => `--${name === 'maxRetries' ? 'max-retries' : name}`, setting: (name) => name })).toBe(
      `http://host/v1/completions: HTTP 503 (set --max-retries); ${hint}`,
    );
    expect(hinted.reason).toBe(`HTTP 503 (set maxRetries); ${hint}`);
  });

  it('passes on a failure before anything was checkpointed, and any other error, as it is', () => {
    const empty = mkdtempSync(join(root, 'empty-'));
    expect(withScoredKeptHint(failure, { done: 8, total: 24 }, empty)).toBe(failure);
    expect(withScoredKeptHint(failure, undefined, empty)).toBe(failure);
    const other = new Error('disk full');
    expect(withScoredKeptHint(other, { done: 8, total: 24 }, empty)).toBe(other);
  });
});
