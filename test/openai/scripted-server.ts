/**
 * A model-free OpenAI-compatible server for the tests, scripted per case: each request goes to
 * the test's `script`, which answers it, leaves it unanswered, or hands it to `fakeModel`, a
 * deterministic stand-in that tokenizes by words and scores echoed prompts by a hash of their
 * tokens. It listens on 127.0.0.1, on a port the system picks as it binds.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ScriptedRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}

export interface ScriptedAnswer {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

/** How the server answers a request: an answer, or `'hang'` to never answer it. */
export type Script = (request: ScriptedRequest) => ScriptedAnswer | 'hang';

export class ScriptedServer {
  readonly requests: ScriptedRequest[] = [];

  private constructor(private readonly server: Server) {}

  static async start(script: Script): Promise<ScriptedServer> {
    const server = createServer();
    const instance = new ScriptedServer(server);
    server.on('request', (req, res) => {
      let text = '';
      req.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      req.on('end', () => {
        const request = {
          path: (req.url ?? '/').split('?')[0],
          headers: req.headers,
          body: JSON.parse(text || '{}') as Record<string, unknown>,
        };
        instance.requests.push(request);
        const answer = script(request);
        if (answer === 'hang') return;
        res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
        res.end(answer.body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return instance;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
  }

  /** `openai:<base URL>#fake`, the `--model` value for this server. */
  get spec(): string {
    return `openai:${this.baseUrl}#fake`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A word's token id: a hash, so that ids do not depend on the order requests arrive in. */
export function wordId(word: string): number {
  let hash = 5381;
  for (const char of word) hash = (hash * 33 + char.codePointAt(0)!) % 100_003;
  return hash + 1;
}

/** The fake model's log-probability of a sequence's last token. */
export function fakeLogprob(sequence: readonly number[]): number {
  let hash = 0;
  for (const [i, id] of sequence.entries()) hash = (hash + id * (i + 7)) % 997;
  return -0.01 - hash / 100;
}

/** `/tokenize` (word ids, with BOS 0) and echo-mode `/v1/completions` answers of a deterministic fake model. */
export function fakeModel({ path, body }: ScriptedRequest): ScriptedAnswer {
  if (path === '/tokenize') {
    const tokens = [0, ...String(body.prompt).split(/\s+/).filter(Boolean).map(wordId)];
    return { status: 200, body: JSON.stringify({ tokens }) };
  }
  if (path === '/v1/completions') {
    const choices = (body.prompt as number[][]).map((sequence, index) => ({
      index,
      text: '',
      logprobs: {
        tokens: sequence.map((id) => `token_id:${id}`),
        token_logprobs: sequence.map((_, i) => (i === 0 ? null : fakeLogprob(sequence.slice(0, i + 1)))),
        top_logprobs: null,
      },
    }));
    return { status: 200, body: JSON.stringify({ choices }) };
  }
  return { status: 404, body: JSON.stringify({ error: { message: `no route for ${path}` } }) };
}
