import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { evaluateToFolder, resolveEvaluateOptions } from '../../src/index.js';
import { runCliCaptured } from '../helpers/cli.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const model = join(repo, 'test/models/tiny-gpt2');
const root = mkdtempSync(join(tmpdir(), 'at-evaluate-to-folder-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const data = join(root, 'data.tsv');
writeFileSync(data, 'sentence\tlabel\na good film\t1\na bad film\t0\na fine film\t1\na dull film\t0\n');
// A folder passes the options' existence check and fails only when evaluate reads it.
const folder = join(root, 'folder.tsv');
mkdirSync(folder);

describe('evaluateToFolder names an unreadable input by its option', () => {
  it('data and iclData in the library, --data and --icl-data on the command line', async () => {
    const { config, run } = await resolveEvaluateOptions({ model, data, classes: ['negative', 'positive'], iclExamples: 1 });
    const out = join(root, 'out');
    await expect(evaluateToFolder({ ...config, data: folder }, { ...run, out })).rejects.toThrow(
      /^data: expected a readable file, got ".*folder\.tsv" \(a folder, not a file \(EISDIR\)\)$/,
    );
    await expect(evaluateToFolder({ ...config, icl_data: folder }, { ...run, out })).rejects.toThrow(
      /^iclData: expected a readable file, got ".*folder\.tsv" \(a folder, not a file \(EISDIR\)\)$/,
    );
    expect(existsSync(out)).toBe(false);
    const cli = await runCliCaptured([
      'evaluate',
      '--model',
      model,
      '--data',
      data,
      '--classes',
      'negative,positive',
      '--icl-examples',
      '1',
      '--icl-data',
      folder,
      '--out',
      out,
    ]);
    expect(cli.code).toBe(1);
    expect(cli.stderr).toMatch(
      /^active-testing evaluate: --icl-data: expected a readable file, got ".*folder\.tsv" \(a folder, not a file \(EISDIR\)\)$/,
    );
    expect(existsSync(out)).toBe(false);
  });
});

describe('evaluateToFolder refuses garbage arguments from JavaScript', () => {
  it('with an InputError naming the argument, before any file is read or written', async () => {
    const garbage = (value: unknown): never => value as never;
    const { config, run } = await resolveEvaluateOptions({ model, data, classes: ['negative', 'positive'] });
    const out = join(root, 'garbage-out');
    await expect(evaluateToFolder(garbage(undefined), { ...run, out })).rejects.toThrow(
      /^config: expected an evaluation config \(the config resolveEvaluateOptions returns\)$/,
    );
    await expect(evaluateToFolder(config, garbage(undefined))).rejects.toThrow(
      /^run: expected run options \{ out, … \} \(the run resolveEvaluateOptions returns, with out\)$/,
    );
    await expect(evaluateToFolder(config, garbage({}))).rejects.toThrow(/^out: expected a file path \(a non-empty string\)$/);
    await expect(evaluateToFolder(garbage({ classes: ['a', 'b'] }), { ...run, out })).rejects.toThrow(
      /^data: expected a file path \(a non-empty string\)$/,
    );
    await expect(evaluateToFolder({ ...config, model: garbage(42) }, { ...run, out })).rejects.toThrow(
      /^model: expected a model folder or id \(a non-empty string\), got 42$/,
    );
    expect(existsSync(out)).toBe(false);
  });
});

describe('evaluateToFolder names what changed since the results it finds', () => {
  it('by option name in the library, by flag on the command line', async () => {
    const out = join(root, 'changed');
    const { config, run } = await resolveEvaluateOptions({ model, data, classes: ['negative', 'positive'] });
    const first = await evaluateToFolder(config, { ...run, out });
    expect(first.n).toBe(4);
    const message =
      /it holds results made with other settings or inputs \(changed: limit \(recorded none, given 3\), iclExamples \(recorded 0, given 1\)\); pass force: true to start fresh$/;
    await expect(evaluateToFolder({ ...config, limit: 3, icl_examples: 1 }, { ...run, out })).rejects.toThrow(message);
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const cli = await runCliCaptured([
      'evaluate',
      '--model',
      model,
      '--data',
      data,
      '--classes',
      'negative,positive',
      '--limit',
      '3',
      '--out',
      out,
    ]);
    vi.restoreAllMocks();
    expect(cli.code).toBe(1);
    expect(cli.stderr).toMatch(/\(changed: --limit \(recorded none, given 3\)\); pass --force to start fresh$/);
  });
});
