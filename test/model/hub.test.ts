import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { env } from '@huggingface/transformers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActiveTestingError, InputError } from '../../src/errors.js';
import { Model } from '../../src/model/index.js';
import { loadExpected, maxAbsDiff, modelDir } from './fixtures.js';
import { runCliCaptured } from '../helpers/cli.js';
import { startHubStandIn, type HubStandIn } from '../helpers/hub-stand-in.js';

/**
 * The Hub path of `Model.fromPretrained` (an id such as `org/name`, not a folder), against a local
 * server that answers as huggingface.co does, serving the committed test models
 * (`startHubStandIn`).
 */
describe('Model.fromPretrained from the Hugging Face Hub (a local stand-in server)', () => {
  let hub: HubStandIn;
  let requests: string[];

  beforeAll(async () => {
    hub = await startHubStandIn();
    requests = hub.requests;
  });
  afterAll(() => hub.close());

  it('downloads config, tokenizer and ONNX graph into cache_dir and scores as the folder does', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'hub-cache-'));
    const progress: string[] = [];
    const fromHub = await Model.fromPretrained('test-org/tiny-gpt2', {
      cache_dir: cacheDir,
      progress_callback: (event: { status: string }) => progress.push(event.status),
    });
    const fromFolder = await Model.fromPretrained(modelDir('tiny-gpt2'));
    const expected = loadExpected('tiny-gpt2');
    const cases = expected.cases.filter((c) => c.kind === 'zero_shot');
    const labelIds = cases[0]!.label_token_ids;
    const prompts = cases.map((c) => c.prompt);
    expect(fromHub.id).toBe('test-org/tiny-gpt2');
    expect(
      maxAbsDiff(
        await fromHub.score(prompts, labelIds),
        cases.map((c) => c.label_logits),
      ),
    ).toBeLessThan(1e-4);
    expect(await fromHub.score(prompts, labelIds)).toEqual(await fromFolder.score(prompts, labelIds));
    for (const file of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx']) {
      expect(requests).toContain(`GET /test-org/tiny-gpt2/resolve/main/${file}`);
      expect(existsSync(join(cacheDir, 'test-org/tiny-gpt2', file))).toBe(true);
    }
    expect(progress).toContain('done');
    await fromHub.dispose();

    // A second load is served from the cache, without asking the server for the graph again.
    const before = requests.filter((r) => r.endsWith('onnx/model.onnx')).length;
    const cached = await Model.fromPretrained('test-org/tiny-gpt2', { cache_dir: cacheDir });
    expect(requests.filter((r) => r.endsWith('onnx/model.onnx')).length).toBe(before);
    await cached.dispose();

    // With local_files_only, from cache_dir without a request: offline, a request fails the load.
    // Under an id not looked up before (transformers.js memoizes a file's lookup for the process).
    cpSync(join(cacheDir, 'test-org/tiny-gpt2'), join(cacheDir, 'test-org/cached-only'), { recursive: true });
    const asked = requests.length;
    const offline = await Model.fromPretrained('test-org/cached-only', { cache_dir: cacheDir, local_files_only: true });
    expect(requests.slice(asked)).toEqual([]);
    expect(await offline.score(prompts, labelIds)).toEqual(await fromFolder.score(prompts, labelIds));
    await Promise.all([offline.dispose(), fromFolder.dispose()]);
    const empty = mkdtempSync(join(tmpdir(), 'hub-cache-'));
    await expect(Model.fromPretrained('test-org/tiny-llama', { cache_dir: empty, local_files_only: true })).rejects.toThrow(
      `could not load model "test-org/tiny-llama" with local_files_only: its tokenizer files (tokenizer.json, tokenizer_config.json) are not in the cache (${join(empty, 'test-org/tiny-llama')}), and local_files_only forbids downloading them`,
    );
    expect(requests.slice(asked)).toEqual([]);
  });

  it('asks for the revision it is given', async () => {
    const model = await Model.fromPretrained('test-org/tiny-llama', {
      cache_dir: mkdtempSync(join(tmpdir(), 'hub-cache-')),
      revision: 'v1',
    });
    expect(requests).toContain('GET /test-org/tiny-llama/resolve/v1/onnx/model.onnx');
    await model.dispose();
  });

  it('fails with ActiveTestingError naming the model when the Hub has no such model', async () => {
    await expect(Model.fromPretrained('test-org/no-such-model', { cache_dir: mkdtempSync(join(tmpdir(), 'hub-cache-')) })).rejects.toThrow(
      ActiveTestingError,
    );
    await expect(Model.fromPretrained('test-org/no-such-model', { cache_dir: mkdtempSync(join(tmpdir(), 'hub-cache-')) })).rejects.toThrow(
      /^could not load model "test-org\/no-such-model": the Hub \(http:\/\/127\.0\.0\.1:\d+\/\) refused it: no such model, or a private or gated one \(set HF_TOKEN to a token that may read it\); Unauthorized access to file/,
    );
  });

  it('says that the Hub could not be reached when there is no connection, in one line', async () => {
    // Port 4, unassigned and below the range that servers listening on port 0 get, so that no other
    // test file's server can be on it (as one can on a port just freed): the connection is refused,
    // as with no network. (Fetch refuses the usual closed choices, such as 9, as bad ports.)
    const host = 'http://127.0.0.1:4/';
    const remoteHost = env.remoteHost;
    env.remoteHost = host;
    try {
      const error = await Model.fromPretrained('test-org/tiny-gpt2', { cache_dir: mkdtempSync(join(tmpdir(), 'hub-cache-')) }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ActiveTestingError);
      const message = (error as Error).message;
      expect(message).toMatch(
        /^could not reach the Hugging Face Hub \(http:\/\/127\.0\.0\.1:\d+\/\) to download model "test-org\/tiny-gpt2"/,
      );
      expect(message).toContain('ECONNREFUSED');
      expect(message).toContain('there is no folder "test-org/tiny-gpt2" here; without internet, pass a local model folder');
      expect(message).not.toContain('\n');
    } finally {
      env.remoteHost = remoteHost;
    }
  });
});

describe('a model that is neither a folder here nor a Hub id', () => {
  // transformers.js failed on these with "Cannot read properties of undefined (reading 'tokenizer_class')".
  const notIds = ['hf:gpt2', ' gpt2', 'gpt2 ', 'org/na me'];

  it('is refused by Model.fromPretrained, naming what a Hub id is', async () => {
    for (const id of notIds) {
      const error = await Model.fromPretrained(id).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InputError);
      expect((error as Error).message).toBe(
        `idOrPath: expected an existing model folder or a Hub id (name or owner/name, of letters, digits, "-", "_" and "."), got ${JSON.stringify(id)}`,
      );
    }
  });

  it('is refused by evaluate in one line, exit 1, before the data is read or anything written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'at-hub-id-'));
    const out = join(dir, 'out');
    const run = await runCliCaptured(['evaluate', '--model', 'hf:gpt2', '--data', join(dir, 'none.tsv'), '--classes', 'a,b', '--out', out]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'active-testing evaluate: --model: expected an existing model folder or a Hub id (name or owner/name, of letters, digits, "-", "_" and "."), got "hf:gpt2"',
    );
    expect(existsSync(out)).toBe(false);
    rmSync(dir, { recursive: true, force: true });
  });
});
