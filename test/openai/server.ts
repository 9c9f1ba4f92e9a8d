/**
 * An OpenAI-compatible completions server for the tests, on top of a committed tiny ONNX model
 * run with transformers.js. It speaks the parts of the protocol the OpenAI backend uses, as vLLM
 * does: `POST /v1/completions` (string, token-id and list prompts; `echo`; `logprobs` with
 * `top_logprobs`; `max_tokens` 0 or more, greedy; `return_tokens_as_token_ids`), `POST /tokenize`
 * at the root, `GET /v1/models`. It listens on 127.0.0.1 only, bounds bodies, prompts and
 * tokens, and injects faults on demand: slow answers, 429 with Retry-After, 5xx, dropped
 * connections, malformed JSON, answers missing a choice, echoes shifted by a BOS the client did
 * not send, and answers that never come.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, basename } from 'node:path';

export type Fault =
  /** Answers after `delayMs`; with `gather`, first holds the request until the server has had that many at once (at most 10 s). */
  | { kind: 'slow'; delayMs: number; gather?: number }
  | { kind: 'status'; status: number; retryAfter?: string }
  | { kind: 'drop' }
  | { kind: 'malformed' }
  | { kind: 'missing-choice' }
  | { kind: 'misaligned' }
  | { kind: 'hang' };

/** A fault waiting for the next request to `path` (default `/v1/completions`). */
export interface QueuedFault {
  fault: Fault;
  path?: string;
}

export interface TestServerOptions {
  /** A transformers.js model folder (config.json, tokenizer.json, onnx/model.onnx). */
  modelDir: string;
  /** The name clients must send as `model` (default: the folder name). */
  modelName?: string;
  /** The most top log-probabilities a request may ask for, like vLLM's `--max-logprobs` (default 20). */
  maxLogprobs?: number;
  /** Port to listen on (default 0: any free port). */
  port?: number;
  /** When set, requests without `Authorization: Bearer <apiKey>` get 401, like `vllm serve --api-key`. */
  apiKey?: string;
}

/** What the server saw, for assertions: every request, and the prompts of answered completions. */
export interface RequestRecord {
  path: string;
  /** The fault injected into this request, if any. */
  fault?: Fault['kind'];
  /** Whether a complete 200 answer was sent. */
  answered: boolean;
  /** For completions: the prompts as sent (token-id lists or strings). */
  prompts?: Array<string | number[]>;
}

const MAX_BODY_BYTES = 4 * 1024 * 1024;
const MAX_PROMPTS = 1024;
const MAX_TOKENS_PER_PROMPT = 2048;
const MAX_NEW_TOKENS = 16;
/** The longest a `slow` fault holds a request waiting for others to arrive. */
const GATHER_LIMIT_MS = 10_000;

type TokenizerLike = {
  encode(text: string, options?: { add_special_tokens?: boolean }): number[];
  decode(ids: number[], options?: { skip_special_tokens?: boolean }): string;
};
type ModelLike = (inputs: Record<string, unknown>) => Promise<{ logits: { data: Float32Array; dims: number[] } }>;
type TensorConstructor = new (type: string, data: BigInt64Array, dims: number[]) => unknown;

class HttpFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export class CompletionsTestServer {
  readonly records: RequestRecord[] = [];
  readonly faults: QueuedFault[] = [];
  /** Faults applied to every matching request while set (e.g. to stall a run until it is killed). */
  stickyFault: QueuedFault | undefined;
  /** The most requests the server was handling at once (a hanging answer stops counting once its handler returns). */
  maxInFlight = 0;
  private inFlight = 0;
  private readonly hanging = new Set<ServerResponse>();

  private constructor(
    private readonly server: Server,
    private readonly tokenizer: TokenizerLike,
    private readonly model: ModelLike,
    private readonly Tensor: TensorConstructor,
    readonly modelName: string,
    private readonly maxLogprobs: number,
    private readonly apiKey: string | undefined,
  ) {}

  /** Loads the model and listens on 127.0.0.1. */
  static async start(options: TestServerOptions): Promise<CompletionsTestServer> {
    const transformers = await import('@huggingface/transformers');
    transformers.env.allowRemoteModels = false;
    transformers.env.localModelPath = dirname(options.modelDir) + '/';
    const name = basename(options.modelDir);
    const tokenizer = (await transformers.AutoTokenizer.from_pretrained(name)) as unknown as TokenizerLike;
    const model = (await transformers.AutoModelForCausalLM.from_pretrained(name, { dtype: 'fp32' })) as unknown as ModelLike;
    const server = createServer();
    const instance = new CompletionsTestServer(
      server,
      tokenizer,
      model,
      transformers.Tensor as unknown as TensorConstructor,
      options.modelName ?? name,
      options.maxLogprobs ?? 20,
      options.apiKey,
    );
    server.on('request', (req, res) => void instance.handle(req, res));
    await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
    return instance;
  }

  /** The API base URL, `http://127.0.0.1:<port>/v1`. */
  get baseUrl(): string {
    return `${this.rootUrl}/v1`;
  }

  get rootUrl(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** `openai:<base URL>#<model>`, the `--model` value for this server. */
  get spec(): string {
    return `openai:${this.baseUrl}#${this.modelName}`;
  }

  /** Completions requests answered with a complete 200. */
  answeredCompletions(): RequestRecord[] {
    return this.records.filter((r) => r.path === '/v1/completions' && r.answered);
  }

  /** Resolves once no request is being handled (requests a client gave up on still finish here). */
  async idle(): Promise<void> {
    while (this.inFlight > 0) await new Promise((resolve) => setTimeout(resolve, 5));
  }

  /** Queues faults for the next requests to `path`, one per request, in order. */
  inject(faults: Fault[], path = '/v1/completions'): void {
    for (const fault of faults) this.faults.push({ fault, path });
  }

  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private takeFault(path: string): Fault | undefined {
    if (this.stickyFault && (this.stickyFault.path ?? '/v1/completions') === path) return this.stickyFault.fault;
    const index = this.faults.findIndex((f) => (f.path ?? '/v1/completions') === path);
    return index < 0 ? undefined : this.faults.splice(index, 1)[0].fault;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    const record: RequestRecord = { path, answered: false };
    this.records.push(record);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.apiKey !== undefined && req.headers.authorization !== `Bearer ${this.apiKey}`) {
        throw new HttpFailure(401, 'Unauthorized');
      }
      if (req.method === 'GET' && path === '/v1/models') {
        this.send(res, 200, { object: 'list', data: [{ id: this.modelName, object: 'model' }] });
        record.answered = true;
        return;
      }
      if (req.method !== 'POST' || (path !== '/v1/completions' && path !== '/tokenize')) {
        throw new HttpFailure(404, `no route for ${req.method} ${path}`);
      }
      const body = await readJson(req);
      // A client that gave up on this request must not use up a fault meant for a later one.
      if (res.destroyed) return;
      const fault = this.takeFault(path);
      record.fault = fault?.kind;
      if (fault && (await this.applyFault(fault, res))) return;
      const answer = path === '/tokenize' ? this.tokenize(body) : await this.complete(body, record);
      if (fault?.kind === 'missing-choice') (answer as { choices: unknown[] }).choices.pop();
      if (fault?.kind === 'misaligned') prependBos(answer as { choices: Array<{ logprobs: Record<string, unknown[]> | null }> });
      if (fault?.kind === 'malformed') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(answer).slice(0, 40));
        return;
      }
      this.send(res, 200, answer);
      record.answered = true;
    } catch (error) {
      const status = error instanceof HttpFailure ? error.status : 500;
      this.send(res, status, { error: { message: error instanceof Error ? error.message : String(error), code: status } });
    } finally {
      this.inFlight--;
    }
  }

  /** Applies a fault; true when it has already dealt with the response. */
  private async applyFault(fault: Fault, res: ServerResponse): Promise<boolean> {
    switch (fault.kind) {
      case 'slow': {
        const deadline = performance.now() + GATHER_LIMIT_MS;
        while (fault.gather !== undefined && this.maxInFlight < fault.gather && performance.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
        return res.destroyed;
      }
      case 'status': {
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (fault.retryAfter !== undefined) headers['retry-after'] = fault.retryAfter;
        res.writeHead(fault.status, headers);
        res.end(JSON.stringify({ error: { message: `injected HTTP ${fault.status}`, code: fault.status } }));
        return true;
      }
      case 'drop':
        res.socket?.destroy();
        return true;
      case 'hang':
        this.hanging.add(res);
        res.on('close', () => this.hanging.delete(res));
        return true;
      case 'malformed':
      case 'missing-choice':
      case 'misaligned':
        return false;
    }
  }

  private send(res: ServerResponse, status: number, body: unknown): void {
    if (res.destroyed) return;
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  private checkModel(body: Record<string, unknown>): void {
    if (body.model !== undefined && body.model !== this.modelName) {
      throw new HttpFailure(404, `The model \`${String(body.model)}\` does not exist.`);
    }
  }

  private tokenize(body: Record<string, unknown>): unknown {
    this.checkModel(body);
    if (typeof body.prompt !== 'string') throw new HttpFailure(400, 'prompt must be a string');
    const tokens = this.tokenizer.encode(body.prompt, { add_special_tokens: body.add_special_tokens !== false });
    return { tokens, count: tokens.length, max_model_len: MAX_TOKENS_PER_PROMPT };
  }

  private async complete(body: Record<string, unknown>, record: RequestRecord): Promise<unknown> {
    this.checkModel(body);
    const prompts = normalisePrompts(body.prompt);
    record.prompts = prompts;
    const echo = body.echo === true;
    const maxTokens = body.max_tokens ?? 16;
    if (!Number.isInteger(maxTokens) || (maxTokens as number) < (echo ? 0 : 1) || (maxTokens as number) > MAX_NEW_TOKENS) {
      throw new HttpFailure(400, `max_tokens must be an integer in [${echo ? 0 : 1}, ${MAX_NEW_TOKENS}]`);
    }
    const logprobs = body.logprobs ?? null;
    if (logprobs !== null && (!Number.isInteger(logprobs) || (logprobs as number) < 0 || (logprobs as number) > this.maxLogprobs)) {
      throw new HttpFailure(400, `logprobs must be an integer in [0, ${this.maxLogprobs}]`);
    }
    const asIds = body.return_tokens_as_token_ids === true;
    const choices = [];
    for (const [index, prompt] of prompts.entries()) {
      const ids = typeof prompt === 'string' ? this.tokenizer.encode(prompt) : prompt;
      if (ids.length === 0 || ids.length > MAX_TOKENS_PER_PROMPT) {
        throw new HttpFailure(400, `prompt ${index} must have 1 to ${MAX_TOKENS_PER_PROMPT} tokens`);
      }
      choices.push(await this.choice(index, ids, echo, maxTokens as number, logprobs as number | null, asIds));
    }
    return { id: `cmpl-test-${this.records.length}`, object: 'text_completion', created: 0, model: this.modelName, choices };
  }

  private async choice(index: number, promptIds: number[], echo: boolean, maxTokens: number, logprobs: number | null, asIds: boolean) {
    const sequence = [...promptIds];
    let rows = await this.logSoftmaxRows(sequence);
    const generated: number[] = [];
    for (let step = 0; step < maxTokens; step++) {
      const next = argmax(rows[sequence.length - 1]);
      generated.push(next);
      sequence.push(next);
      if (step + 1 < maxTokens) rows = await this.logSoftmaxRows(sequence);
    }
    const shown = echo ? sequence : generated;
    const offset = sequence.length - shown.length;
    const tokenName = (id: number): string => (asIds ? `token_id:${id}` : this.tokenizer.decode([id]));
    const tokenLogprobs = shown.map((id, i) => (offset + i === 0 ? null : rows[offset + i - 1][id]));
    const topLogprobs = shown.map((_, i) =>
      offset + i === 0 || logprobs === null ? null : topEntries(rows[offset + i - 1], logprobs, tokenName),
    );
    const text = this.tokenizer.decode(shown);
    return {
      index,
      text,
      finish_reason: 'length',
      logprobs:
        logprobs === null
          ? null
          : { tokens: shown.map(tokenName), token_logprobs: tokenLogprobs, top_logprobs: topLogprobs, text_offset: shown.map(() => 0) },
    };
  }

  /** Log-softmax of the model's logits at every position of `ids` (one forward pass, batch of one). */
  private async logSoftmaxRows(ids: number[]): Promise<Float64Array[]> {
    const length = ids.length;
    const inputIds = new this.Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, length]);
    const mask = new this.Tensor('int64', new BigInt64Array(length).fill(1n), [1, length]);
    const { logits } = await this.model({ input_ids: inputIds, attention_mask: mask });
    const vocab = logits.dims[2];
    const rows: Float64Array[] = [];
    for (let t = 0; t < length; t++) {
      const row = Float64Array.from(logits.data.subarray(t * vocab, (t + 1) * vocab));
      let max = -Infinity;
      for (const v of row) max = Math.max(max, v);
      let sum = 0;
      for (const v of row) sum += Math.exp(v - max);
      const logZ = max + Math.log(sum);
      for (let v = 0; v < vocab; v++) row[v] -= logZ;
      rows.push(row);
    }
    return rows;
  }
}

/** Shifts every echo by one token, as a server that adds a BOS to token-id prompts would. */
function prependBos(answer: { choices: Array<{ logprobs: Record<string, unknown[]> | null }> }): void {
  for (const { logprobs } of answer.choices) {
    if (!logprobs) continue;
    logprobs.tokens.unshift('token_id:2');
    logprobs.token_logprobs.splice(0, 1, null, -1);
    logprobs.top_logprobs.unshift(null);
    logprobs.text_offset.unshift(0);
  }
}

function normalisePrompts(prompt: unknown): Array<string | number[]> {
  const isIds = (p: unknown): p is number[] => Array.isArray(p) && p.every((t) => Number.isInteger(t) && t >= 0);
  let prompts: Array<string | number[]>;
  if (typeof prompt === 'string' || isIds(prompt)) prompts = [prompt];
  else if (Array.isArray(prompt) && prompt.every((p) => typeof p === 'string' || isIds(p))) prompts = prompt as Array<string | number[]>;
  else throw new HttpFailure(400, 'prompt must be a string, a list of token ids, or a list of either');
  if (prompts.length === 0 || prompts.length > MAX_PROMPTS) throw new HttpFailure(400, `1 to ${MAX_PROMPTS} prompts per request`);
  return prompts;
}

function argmax(row: Float64Array): number {
  let best = 0;
  for (let v = 1; v < row.length; v++) if (row[v] > row[best]) best = v;
  return best;
}

/** The `count` most likely tokens, by a single pass keeping a small sorted list (count is usually 1 to 20). */
function topEntries(row: Float64Array, count: number, name: (id: number) => string): Record<string, number> {
  const best: number[] = [];
  for (let id = 0; id < row.length; id++) {
    if (best.length === count && row[id] <= row[best[count - 1]]) continue;
    let at = best.length;
    while (at > 0 && row[best[at - 1]] < row[id]) at--;
    best.splice(at, 0, id);
    if (best.length > count) best.pop();
  }
  return Object.fromEntries(best.map((id) => [name(id), row[id]]));
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpFailure(413, `request body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  try {
    const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
    return parsed as Record<string, unknown>;
  } catch {
    throw new HttpFailure(400, 'the body is not a JSON object');
  }
}
