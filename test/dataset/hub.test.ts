import { existsSync, mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { fetchHubTable, probeHubTable } from '../../src/dataset/hub.js';
import { readTable } from '../../src/dataset/read-table.js';
import { SST2Dataset, TextClassificationDataset } from '../../src/dataset/index.js';
import { ActiveTestingError, CancelledError, FileFormatError } from '../../src/errors.js';
import { evaluateToFolder, resolveEvaluateOptions } from '../../src/index.js';
import { sharedAvailable } from '../helpers/shared.js';
import { SST2_TRAIN } from '../session/sst2-pool.js';

const VIEWER = 'https://datasets-server.huggingface.co';

/**
 * The Hub path of the datasets (`SST2Dataset.load()` without a path, `TextClassificationDataset.fromHub`)
 * against a local server that answers the dataset viewer's `/rows` as it does (features with a
 * ClassLabel, pages of at most 100 rows, `num_rows_total`), serving SST-2 train rows from
 * ../shared/data. Only the host of the request is changed, by a `fetch` that forwards it.
 */
describe.skipIf(!sharedAvailable(SST2_TRAIN))('datasets from the Hugging Face Hub (a local stand-in for the dataset viewer)', () => {
  let server: Server;
  let rows: unknown[][];
  const requests: URLSearchParams[] = [];
  let failWith: number | null = null;

  beforeAll(async () => {
    rows = (await readTable(SST2_TRAIN)).rows.slice(0, 230);
    server = createServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://viewer');
      requests.push(url.searchParams);
      if (failWith !== null) return void response.writeHead(failWith).end('{"error":"unavailable"}');
      const offset = Number(url.searchParams.get('offset'));
      const length = Number(url.searchParams.get('length'));
      if (url.pathname !== '/rows' || length > 100) return void response.writeHead(422).end('{"error":"bad request"}');
      const page = rows.slice(offset, offset + length);
      response.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          features: [
            { feature_idx: 0, name: 'sentence', type: { dtype: 'string', _type: 'Value' } },
            { feature_idx: 1, name: 'label', type: { names: ['negative', 'positive'], _type: 'ClassLabel' } },
            { feature_idx: 2, name: 'idx', type: { dtype: 'int32', _type: 'Value' } },
          ],
          rows: page.map(([sentence, label], i) => ({
            row_idx: offset + i,
            row: { sentence, label: Number(label), idx: offset + i },
            truncated_cells: [],
          })),
          num_rows_total: rows.length,
          num_rows_per_page: 100,
          partial: false,
        }),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const local = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const realFetch = globalThis.fetch;
    vi.stubGlobal('fetch', (url: string | URL, init?: RequestInit) => realFetch(String(url).replace(VIEWER, local), init));
  });
  afterAll(async () => {
    vi.unstubAllGlobals();
    await new Promise((resolve) => server.close(resolve));
  });

  it('pages through a whole split: SST2Dataset.load() reads glue/sst2 train', async () => {
    requests.length = 0;
    const sst2 = await SST2Dataset.load();
    expect(sst2.size).toBe(230);
    expect(sst2.texts).toEqual(rows.map((r) => r[0]));
    expect(Array.from(sst2.labels)).toEqual(rows.map((r) => Number(r[1])));
    expect(requests.map((q) => [q.get('dataset'), q.get('config'), q.get('split'), q.get('offset'), q.get('length')])).toEqual([
      ['glue', 'sst2', 'train', '0', '100'],
      ['glue', 'sst2', 'train', '100', '100'],
      ['glue', 'sst2', 'train', '200', '30'], // the first page told the total
    ]);
  });

  it('asks for no more rows than the limit, and for the split it is given', async () => {
    requests.length = 0;
    const data = await TextClassificationDataset.fromHub(
      { dataset: 'glue', config: 'sst2', split: 'validation' },
      { classes: ['negative', 'positive'] },
      { limit: 150 },
    );
    expect(data.size).toBe(150);
    expect(requests.map((q) => [q.get('split'), q.get('offset'), q.get('length')])).toEqual([
      ['validation', '0', '100'],
      ['validation', '100', '50'],
    ]);
  });

  it('fails with ActiveTestingError naming the status and the URL when the viewer refuses', async () => {
    failWith = 403;
    try {
      await expect(SST2Dataset.load()).rejects.toThrow(ActiveTestingError);
      await expect(SST2Dataset.load()).rejects.toThrow(/answered 403 for https:\/\/datasets-server\.huggingface\.co\/rows\?dataset=glue/);
    } finally {
      failWith = null;
    }
  });
});

describe('a Hub split with a bad row', () => {
  afterAll(() => vi.unstubAllGlobals());

  it('names the split and the row in the split, as a file row is named', async () => {
    const labels = ['negative', 'positive', 'maybe'];
    vi.stubGlobal('fetch', () =>
      Promise.resolve(
        Response.json({
          features: [
            { name: 'sentence', type: { _type: 'Value' } },
            { name: 'label', type: { _type: 'Value' } },
          ],
          rows: labels.map((label, i) => ({ row_idx: i, row: { sentence: `review ${i}`, label } })),
          num_rows_total: labels.length,
        }),
      ),
    );
    const loading = TextClassificationDataset.fromHub({ dataset: 'org/reviews', split: 'test' }, { classes: ['negative', 'positive'] });
    await expect(loading).rejects.toThrow(FileFormatError);
    await expect(loading).rejects.toThrow(
      /^hub:org\/reviews:default:test: row 2 \(counting from 0\), column "label": expected .*got "maybe"$/,
    );
  });
});

describe("the dataset viewer's answers and the token", () => {
  const TOKEN = 'hf_abcdefghijklmnopqrstuvwx';
  const seen: Array<{ url: string; authorization: string | null }> = [];
  /** Answers every request with `status` and `body`, keeping each request's URL and Authorization header. */
  const answer = (status: number, body: unknown) =>
    vi.stubGlobal('fetch', (url: string, init?: RequestInit) => {
      seen.push({ url, authorization: new Headers(init?.headers).get('authorization') });
      return Promise.resolve(Response.json(body, { status }));
    });
  const onePage = {
    features: [
      { name: 'text', type: { _type: 'Value' } },
      { name: 'label', type: { _type: 'ClassLabel', names: ['no', 'yes'] } },
    ],
    rows: [{ row_idx: 0, row: { text: 'a', label: 1 } }],
    num_rows_total: 7,
  };
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.unstubAllEnvs();
    seen.length = 0;
  });

  it('sends the token in HF_TOKEN (else HF_ACCESS_TOKEN), and none without', async () => {
    answer(200, onePage);
    vi.stubEnv('HF_TOKEN', '');
    vi.stubEnv('HF_ACCESS_TOKEN', '');
    await fetchHubTable({ dataset: 'org/gated' }, 1);
    vi.stubEnv('HF_ACCESS_TOKEN', 'hf_access_token_value');
    await fetchHubTable({ dataset: 'org/gated' }, 1);
    vi.stubEnv('HF_TOKEN', TOKEN);
    await fetchHubTable({ dataset: 'org/gated' }, 1);
    expect(seen.map((request) => request.authorization)).toEqual([null, 'Bearer hf_access_token_value', `Bearer ${TOKEN}`]);
  });

  it("quotes the viewer's reason, says what a token would change, and never shows the token", async () => {
    const reason = 'The dataset does not exist, or is not accessible without authentication (private or gated).';
    answer(404, { error: reason });
    vi.stubEnv('HF_TOKEN', '');
    vi.stubEnv('HF_ACCESS_TOKEN', '');
    await expect(fetchHubTable({ dataset: 'org/gated', split: 'test' })).rejects.toThrow(
      `the Hugging Face Hub answered 404 for https://datasets-server.huggingface.co/rows?dataset=org%2Fgated&config=default&split=test&offset=0&length=100: "${reason}"; a private or gated dataset needs a token that may read it in HF_TOKEN`,
    );
    // A viewer quoting the request's header back: the CLI's one line shows no token.
    answer(401, { error: `token ${TOKEN} may not read org/gated` });
    vi.stubEnv('HF_TOKEN', TOKEN);
    const refused = (await fetchHubTable({ dataset: 'org/gated' }).then(
      () => new Error('no refusal'),
      (error: unknown) => error,
    )) as Error;
    expect(refused.message).toMatch(
      /answered 401 for .*: "token .* may not read org\/gated"; check that the token in HF_TOKEN may read it$/,
    );
    // The library's message itself, not only the CLI's line.
    expect(refused.message).not.toContain(TOKEN);
    expect(refused.message).toContain('"token *** may not read org/gated"');
    // The hint names the variable the token came from; a 404 about something else gets none.
    vi.stubEnv('HF_TOKEN', '');
    vi.stubEnv('HF_ACCESS_TOKEN', TOKEN);
    await expect(fetchHubTable({ dataset: 'org/gated' })).rejects.toThrow(/; check that the token in HF_ACCESS_TOKEN may read it$/);
    answer(404, { error: 'The split does not exist.' });
    await expect(fetchHubTable({ dataset: 'org/open', split: 'tset' })).rejects.toThrow(
      /split=tset&offset=0&length=100: "The split does not exist\."$/,
    );
    // A long reason is cut.
    answer(400, { error: 'x'.repeat(1000) });
    await expect(fetchHubTable({ dataset: 'org/open' })).rejects.toThrow(new RegExp(`: "${'x'.repeat(200)}…"$`));
  });

  it('asks again for a page the viewer does not serve for a while, after 1, 2, 4 and 8 s, and gives up after the fifth try', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'Date'] });
    try {
      const answers = [503, 429, 200];
      const times: number[] = [];
      vi.stubGlobal('fetch', (url: string) => {
        times.push(Date.now());
        const status = answers.shift() ?? 500;
        const offset = Number(new URL(url).searchParams.get('offset'));
        const page = { ...onePage, rows: [{ row_idx: offset, row: { text: `row ${offset}`, label: 0 } }], num_rows_total: 1 };
        return Promise.resolve(Response.json(status === 200 ? page : { error: 'busy' }, { status }));
      });
      const start = Date.now();
      const loading = fetchHubTable({ dataset: 'org/reviews' });
      await vi.advanceTimersByTimeAsync(3000);
      expect((await loading).rows).toEqual([['row 0', 0]]);
      expect(times.map((time) => time - start)).toEqual([0, 1000, 3000]);
      // Always busy: five tries over 15 s, then the last answer.
      times.length = 0;
      const failing = fetchHubTable({ dataset: 'org/reviews' }).catch((error: unknown) => error as Error);
      await vi.advanceTimersByTimeAsync(15_000);
      expect(String(await failing)).toMatch(/answered 500 for .*: "busy"$/);
      expect(times.map((time) => time - times[0]!)).toEqual([0, 1000, 3000, 7000, 15_000]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('stops a download when its signal aborts: during a wait between tries, and a request in flight', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'Date'] });
    try {
      let requests = 0;
      vi.stubGlobal('fetch', () => {
        requests++;
        return Promise.resolve(Response.json({ error: 'busy' }, { status: 503 }));
      });
      const waiting = new AbortController();
      const download = fetchHubTable({ dataset: 'org/reviews' }, undefined, waiting.signal).catch((error: unknown) => error);
      await vi.advanceTimersByTimeAsync(500);
      waiting.abort();
      const error = await download;
      expect(error).toBeInstanceOf(CancelledError);
      expect((error as Error).message).toBe('the download of hub:org/reviews:default:train was cancelled after 0 rows');
      expect(requests).toBe(1);
    } finally {
      vi.useRealTimers();
    }
    // A request the viewer does not answer, stopped by the signal.
    vi.stubGlobal(
      'fetch',
      (_url: string, init?: RequestInit) =>
        new Promise((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')))),
    );
    const inFlight = new AbortController();
    const download = fetchHubTable({ dataset: 'org/reviews' }, undefined, inFlight.signal).catch((error: unknown) => error);
    inFlight.abort();
    expect(await download).toBeInstanceOf(CancelledError);
  });

  it("evaluateToFolder's signal stops the download of its hub: data, before any model is loaded", async () => {
    const controller = new AbortController();
    vi.stubGlobal('fetch', (_url: string, init?: RequestInit) => {
      controller.abort();
      return Promise.reject(init?.signal?.aborted ? new DOMException('aborted', 'AbortError') : new Error('no signal passed'));
    });
    const { config, run } = await resolveEvaluateOptions({ model: 'no/such-model', data: 'hub:org/reviews', classes: ['no', 'yes'] });
    const out = join(mkdtempSync(join(tmpdir(), 'at-hub-cancel-')), 'out');
    const error = await evaluateToFolder(config, { ...run, out, signal: controller.signal }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CancelledError);
    expect((error as Error).message).toBe('the download of hub:org/reviews:default:train was cancelled after 0 rows');
    expect(existsSync(out)).toBe(false);
  });

  it('refuses a token fetch could not send, naming its variable and not showing it', async () => {
    answer(200, onePage);
    vi.stubEnv('HF_TOKEN', 'hf_abcdefghijklmnop\nqrs');
    const refused = (await probeHubTable({ dataset: 'org/gated' }).then(
      () => new Error('no refusal'),
      (error: unknown) => error,
    )) as Error;
    expect(refused).toBeInstanceOf(ActiveTestingError);
    expect(refused.message).toBe(
      'HF_TOKEN holds a line break, another control character or a character beyond Latin-1, which an HTTP header cannot carry (the token is not shown)',
    );
    expect(seen).toEqual([]);
    // A token pasted with its trailing newline is sent as it is (fetch drops the newline), and
    // redacted where the viewer echoes what it was sent.
    vi.stubEnv('HF_TOKEN', `${TOKEN}\n`);
    await expect(probeHubTable({ dataset: 'org/gated' })).resolves.not.toBeNull();
    answer(401, { error: `token ${TOKEN} may not read org/gated` });
    await expect(probeHubTable({ dataset: 'org/gated' })).rejects.toThrow(
      /: "token \*\*\* may not read org\/gated"; check that the token in HF_TOKEN may read it$/,
    );
  });

  it('takes an answer cut off as no answer, refuses one that is not JSON, and does not retry a 501', async () => {
    vi.stubGlobal('fetch', () => {
      const body = new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('{"features": ['));
          controller.error(new TypeError('terminated'));
        },
      });
      return Promise.resolve(new Response(body, { status: 200 }));
    });
    await expect(probeHubTable({ dataset: 'org/reviews' })).resolves.toBeNull();
    // JSON cut short, though read whole (a connection closed early): may come whole next time.
    vi.stubGlobal('fetch', () => Promise.resolve(new Response('{"features": [{"name": "te', { status: 200 })));
    await expect(probeHubTable({ dataset: 'org/reviews' })).resolves.toBeNull();
    // Its signal stops the probe.
    const stop = new AbortController();
    vi.stubGlobal(
      'fetch',
      (_url: string, init?: RequestInit) =>
        new Promise((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')))),
    );
    const probing = probeHubTable({ dataset: 'org/reviews' }, stop.signal).catch((error: unknown) => error);
    stop.abort();
    expect(String(await probing)).toBe('CancelledError: the check of hub:org/reviews:default:train was cancelled');
    let requests = 0;
    vi.stubGlobal('fetch', () => {
      requests++;
      return Promise.resolve(new Response('<html>Sign in to the proxy</html>', { status: 200 }));
    });
    await expect(fetchHubTable({ dataset: 'org/reviews' })).rejects.toThrow(
      /^the Hugging Face Hub answered https:\/\/datasets-server\.huggingface\.co\/rows\?\S+ with something other than JSON \(a proxy's page\?\): "<html>Sign in to the proxy<\/html>"$/,
    );
    answer(501, { error: 'not implemented' });
    await expect(fetchHubTable({ dataset: 'org/reviews' })).rejects.toThrow(/answered 501/);
    expect(requests + seen.length).toBe(2);
  });

  it('probes a split by one row: its columns and size; a refusal throws, a busy or unreachable viewer leaves it for later', async () => {
    answer(200, onePage);
    await expect(probeHubTable({ dataset: 'org/reviews', config: 'en', split: 'test' })).resolves.toEqual({
      columns: ['text', 'label'],
      rowCount: 7,
    });
    expect(seen.map((request) => new URL(request.url).searchParams.toString())).toEqual([
      'dataset=org%2Freviews&config=en&split=test&offset=0&length=1',
    ]);
    answer(404, { error: 'Not found.' });
    await expect(probeHubTable({ dataset: 'org/reviews', split: 'tset' })).rejects.toThrow(
      /answered 404 for .*split=tset.*: "Not found\."/,
    );
    for (const status of [429, 500, 503]) {
      answer(status, { error: 'busy' });
      await expect(probeHubTable({ dataset: 'org/reviews' })).resolves.toBeNull();
    }
    vi.stubGlobal('fetch', () => Promise.reject(new TypeError('fetch failed')));
    await expect(probeHubTable({ dataset: 'org/reviews' })).resolves.toBeNull();
  });
});
