import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { OpenAIBackend } from '../../src/model/backends/openai.js';
import { labelTokenIds } from '../../src/model/label-tokens.js';
import { RemoteModelError } from '../../src/model/backends/openaiHttp.js';
import { fakeModel, ScriptedServer, type Script } from './scripted-server.js';

const repoRoot = resolve(import.meta.dirname, '../..');
/** Not of the `sk-…` form, so that only the registered key itself can redact it. */
const KEY = 'Zq7vKx93LmWp2Rt8';
const KEY_ENV = 'AT_SCRIPTED_SERVER_KEY';
const dir = mkdtempSync(join(tmpdir(), 'at-openai-secrets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Fails when `text` holds the key or any 5 consecutive characters of it (a key cut short is still leaked). */
function expectNoKey(text: string): void {
  for (let at = 0; at + 5 <= KEY.length; at++)
    expect(text, `part of the key: ${KEY.slice(at, at + 5)}`).not.toContain(KEY.slice(at, at + 5));
}

/**
 * Fails when `text` holds base64 or base64url digits that decode to any 5 consecutive characters of
 * the key: every run of digits is decoded from each of its first four characters, as any alignment
 * of the key within encoded data would be.
 */
function expectNoEncodedKey(text: string): void {
  for (const [run] of text.matchAll(/[A-Za-z0-9+/_-]{8,}/g))
    for (let start = 0; start < 4; start++) expectNoKey(Buffer.from(run.slice(start), 'base64').toString('latin1'));
}

/** Text with the key across character `cut`: a quote cut there before redacting would keep its first 8 characters. */
const keyAcross = (cut: number): string => 'x'.repeat(cut - 8) + KEY + 'x'.repeat(40);

let server: ScriptedServer | undefined;
afterEach(async () => {
  delete process.env[KEY_ENV];
  await server?.close();
  server = undefined;
});

async function failure(script: Script, retries: number): Promise<{ error: unknown; notices: string[] }> {
  server = await ScriptedServer.start(script);
  process.env[KEY_ENV] = KEY;
  const notices: string[] = [];
  const backend = OpenAIBackend.fromSpec(server.spec, {
    apiKeyEnv: KEY_ENV,
    maxRetries: retries,
    retryDelay: 0.001,
    onRetry: (notice) => notices.push(notice.reason),
  });
  const error = await backend.scoreBatch(['Label: a fine film'], [1, 2]).catch((e: unknown) => e);
  return { error, notices };
}

describe('a server that quotes the API key back', () => {
  it('in a plain-text 401 body is reported without any part of the key', async () => {
    // Quoted up to 200 characters: the key starts just before the cut.
    const { error } = await failure(() => ({ status: 401, body: keyAcross(200) }), 0);
    expect(error).toBeInstanceOf(RemoteModelError);
    expect((error as Error).message).toMatch(/tokenize: HTTP 401: x+\*\*\*x*; the server refused the API key \(not retried\)$/);
    expectNoKey((error as Error).message);
  });

  it('lower-cased or upper-cased is reported without it', async () => {
    const body = JSON.stringify({ message: `no such key: ${KEY.toLowerCase()} (${KEY.toUpperCase()})` });
    const { error } = await failure(() => ({ status: 400, body }), 0);
    expect((error as Error).message).toMatch(/tokenize: HTTP 400: no such key: \*\*\* \(\*\*\*\)$/);
  });

  it('base64-encoded, alone, as the Authorization header it came in or within other data, is reported without it', async () => {
    const base64 = (text: string) => Buffer.from(text).toString('base64');
    const body = JSON.stringify({
      message: [
        `key ${base64(KEY)}`,
        `header ${base64(`Bearer ${KEY}`)}`,
        `login ${base64(`user:${KEY}`)}`,
        `url-safe ${Buffer.from(`\u00ff\u00ff${KEY}`, 'latin1').toString('base64url')}`,
      ].join('; '),
    });
    // The key's bytes at each of the three places in a group of three, once in base64url.
    expect(body).toContain(base64(KEY));
    expect(() => expectNoEncodedKey(body)).toThrow();
    const { error } = await failure(() => ({ status: 400, body }), 0);
    // The digits left at either end of a redacted run share their bits with the bytes around the key.
    expect((error as Error).message).toMatch(
      /tokenize: HTTP 400: key \*\*\*A==; header QmVhcmVyIF\*\*\*g=; login dXNlcjp\*\*\*; url-safe __9\*\*\*$/,
    );
    expectNoEncodedKey((error as Error).message);
  });

  it('in a malformed answer is reported, and retried, without any part of the key', async () => {
    // Quoted up to 80 characters of JSON: the key starts just before the cut.
    const { error, notices } = await failure(() => ({ status: 200, body: `{"tokens": "${keyAcross(80 - 12)}` }), 1);
    expect((error as Error).message).toMatch(/malformed JSON in the answer .*\(gave up after 2 attempts\)$/);
    expect(notices).toHaveLength(1);
    expectNoKey((error as Error).message);
    expectNoKey(notices.join('\n'));
  });
});

describe('a server that redirects', () => {
  it.each([301, 308])('with HTTP %i is not followed, where the key would be dropped, and is named with where it points', async (status) => {
    // To another origin (http to https is one), where fetch would not send the key: the server
    // there would answer 401, and the error blame a key it never got.
    const location = 'https://gpu-node.example:8443/tokenize';
    const { error } = await failure(() => ({ status, body: '', headers: { location } }), 2);
    expect(error).toBeInstanceOf(RemoteModelError);
    expect((error as Error).message).toMatch(
      new RegExp(
        `tokenize: HTTP ${status}: the server redirects to https://gpu-node\\.example:8443/tokenize, where requests are not sent on \\(${status === 308 ? 'the API key would not go with them' : 'they would go as GET requests'}\\); give the base URL there in model \\(not retried\\)$`,
      ),
    );
    expect(server!.requests).toHaveLength(1);
  });

  it('with HTTP 307 or 308 within its origin is followed, the request going on as it is, key included', async () => {
    // A proxy's path rewrite: fetch keeps the method, the body and the key, and so does the client.
    server = await ScriptedServer.start((request) => {
      if (!request.path.startsWith('/moved/'))
        return { status: request.path === '/tokenize' ? 307 : 308, body: '', headers: { location: `/moved${request.path}` } };
      // A POST with its body (a GET would bring none) and the key.
      expect([Object.keys(request.body).length > 0, request.headers.authorization]).toEqual([true, `Bearer ${KEY}`]);
      return fakeModel({ ...request, path: request.path.slice('/moved'.length) });
    });
    process.env[KEY_ENV] = KEY;
    const backend = OpenAIBackend.fromSpec(server.spec, { apiKeyEnv: KEY_ENV, maxRetries: 0 });
    const ids = await labelTokenIds(backend, 'Label:', ['negative', 'positive']);
    const scores = await backend.scoreBatch(['Label: a fine film'], ids);
    expect(scores).toHaveLength(2);
    expect(scores.every(Number.isFinite)).toBe(true);
    const paths = server.requests.map((r) => r.path);
    expect(new Set(paths)).toEqual(new Set(['/tokenize', '/moved/tokenize', '/v1/completions', '/moved/v1/completions']));
    expect(paths.filter((path) => path.startsWith('/moved/'))).toHaveLength(paths.length / 2);
  });

  it('with a 301 within its origin is named by the absolute URL, as a GET there would not be the request', async () => {
    const { error } = await failure(() => ({ status: 301, body: '', headers: { location: '/v2/tokenize' } }), 0);
    expect((error as Error).message).toMatch(
      /HTTP 301: the server redirects to http:\/\/127\.0\.0\.1:\d+\/v2\/tokenize, where requests are not sent on \(they would go as GET requests\)/,
    );
  });
});

/** `active-testing evaluate` from the sources, as a separate process: everything it prints and writes. */
async function evaluate(spec: string, out: string, ...extra: string[]): Promise<{ code: number | null; output: string }> {
  const data = join(dir, 'data.tsv');
  writeFileSync(data, 'sentence\tlabel\na fine film\t1\na dull film\t0\nquite good\t1\n');
  const args = ['--model', spec, '--data', data, '--classes', 'negative,positive', '--api-key-env', KEY_ENV, '--out', out, ...extra];
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'evaluate', ...args], {
    cwd: repoRoot,
    env: { ...process.env, [KEY_ENV]: KEY },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((done) => child.on('exit', done));
  return { code, output };
}

describe('active-testing evaluate with an API key', () => {
  it('prints and writes no part of it, though every answer quotes it', async () => {
    server = await ScriptedServer.start((request) => {
      expect(request.headers.authorization).toBe(`Bearer ${KEY}`);
      const answer = fakeModel(request);
      return { ...answer, body: answer.body.replace(/\}$/, `, "seen_authorization": "Bearer ${KEY}"}`) };
    });
    const out = join(dir, 'ok');
    const run = await evaluate(server.spec, out);
    expect(run.code, run.output).toBe(0);
    expect(run.output).toMatch(/3 items: accuracy/);
    expectNoKey(run.output);
    for (const name of readdirSync(out, { recursive: true }) as string[]) expectNoKey(readFileSync(join(out, name)).toString('latin1'));
  });

  it('says in one line, exit 1, that a refused key was refused, without any part of it', async () => {
    server = await ScriptedServer.start(() => ({ status: 401, body: `invalid key: ${keyAcross(200 - 13)}` }));
    const run = await evaluate(server.spec, join(dir, 'refused'));
    expect(run.code).toBe(1);
    expect(run.output.trim().split('\n')).toHaveLength(1);
    expect(run.output).toMatch(
      /^active-testing evaluate: http:\/\/127\.0\.0\.1:\d+\/tokenize: HTTP 401: invalid key: x+\*\*\*x*; the server refused the API key \(not retried\)\n$/,
    );
    expectNoKey(run.output);
  });
});
