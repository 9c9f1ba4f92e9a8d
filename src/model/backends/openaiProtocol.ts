import { errorMessageIn, RemoteModelError, type RemotePromptPlace } from './openaiHttp.js';

/**
 * Readers for the parts of OpenAI-compatible answers that scoring uses. Each checks what it
 * reads and throws `RemoteModelError` on anything unexpected, so a server that answers with
 * the wrong shape gives an error, never a wrong number.
 */

/** One choice's `logprobs` object of a `/v1/completions` answer. */
export interface CompletionLogprobs {
  tokens: string[];
  token_logprobs: Array<number | null>;
  top_logprobs: Array<Record<string, number> | null> | null;
}

/** The `choices[].logprobs` of a completions answer, in prompt order, after checking there is one per prompt. */
export function readChoiceLogprobs(url: string, body: unknown, promptCount: number): CompletionLogprobs[] {
  const choices = (body as { choices?: unknown } | null)?.choices;
  if (!Array.isArray(choices) || choices.length !== promptCount) {
    // Some servers answer an error with HTTP 200: its message says more than the missing choices.
    const said = Array.isArray(choices) ? undefined : errorMessageIn(body);
    throw new RemoteModelError(
      url,
      `expected ${promptCount} choices in the completions answer, got ${Array.isArray(choices) ? choices.length : 'none'}${said === undefined ? '' : ` (it is an error: ${said})`}`,
    );
  }
  const ordered = new Array<CompletionLogprobs | undefined>(promptCount);
  choices.forEach((choice: unknown, position) => {
    if (choice === null || typeof choice !== 'object' || Array.isArray(choice)) {
      const kind = choice === null ? 'null' : Array.isArray(choice) ? 'an array' : `a ${typeof choice}`;
      throw new RemoteModelError(url, `choice ${position} is ${kind}, not an object`);
    }
    const index = (choice as { index?: unknown }).index ?? position;
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= promptCount || ordered[index]) {
      throw new RemoteModelError(url, `choice ${position} has an invalid or repeated index ${JSON.stringify(index)}`);
    }
    const logprobs = (choice as { logprobs?: unknown }).logprobs as CompletionLogprobs | null | undefined;
    if (!logprobs || !Array.isArray(logprobs.token_logprobs)) {
      throw new RemoteModelError(url, `choice ${index} has no logprobs (does the server support logprobs with echo?)`);
    }
    ordered[index] = logprobs;
  });
  return ordered as CompletionLogprobs[];
}

/**
 * Whether `value` can be a score: a number ≤ 0 (up to rounding) that stays finite as the float32
 * scores are stored in. A value below float32's range (-1e300) would be stored as -Infinity, and
 * only refused once every batch had been checkpointed, where every resume would refuse it again.
 */
function isLogprob(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(Math.fround(value)) && value <= 1e-6;
}

/** A refused log-probability as a message quotes it, saying why where the number alone does not. */
function quoteLogprob(value: unknown): string {
  const outOfFloat32 = typeof value === 'number' && Number.isFinite(value) && !Number.isFinite(Math.fround(value));
  return `${JSON.stringify(value)}${outOfFloat32 ? ' (beyond the range of the 32-bit floats scores are stored in)' : ''}`;
}

/** The log-probability at `position` of an echoed prompt, checked to be a number ≤ 0 finite in float32. */
export function readTokenLogprob(url: string, logprobs: CompletionLogprobs, position: number, prompt: RemotePromptPlace): number {
  const value = logprobs.token_logprobs[position];
  if (!isLogprob(value)) {
    throw new RemoteModelError(
      url,
      `expected a log-probability at echoed position ${position} (the prompt has ${logprobs.token_logprobs.length} echoed entries), got ${quoteLogprob(value)}`,
      undefined,
      prompt,
    );
  }
  return value;
}

/** Marks an object of a parsed answer with the keys its text repeated (`parseNoticingRepeatedKeys`). */
const REPEATED_KEYS = Symbol('repeated keys');

/**
 * The index of the quote that closes the JSON string opening at `start`, found by a loop rather
 * than a regular expression, whose backtracking overflows the stack on a string of megabytes.
 */
function closingQuote(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
  return i;
}

/**
 * The keys that objects of the JSON text `text` (which JSON.parse accepts) repeat, each with the
 * path from the top to its object: keys, and positions in arrays.
 *
 * @example
 * repeatedJsonKeys('{"a": [{"k": 1, "k": 2}]}'); // [{ path: ['a', 0], key: 'k' }]
 */
export function repeatedJsonKeys(text: string): Array<{ path: Array<string | number>; key: string }> {
  const found: Array<{ path: Array<string | number>; key: string }> = [];
  // The containers open where the scan is: an object's keys so far (and whether a key comes next),
  // or an array; `at` is the key or position being read in each.
  const open: Array<{ keys: Set<string> | null; keyNext: boolean; at: string | number }> = [];
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    const inner = open.at(-1);
    if (char === '"') {
      const end = closingQuote(text, i);
      const start = i;
      i = end;
      if (inner?.keys && inner.keyNext) {
        const key = JSON.parse(text.slice(start, end + 1)) as string;
        if (inner.keys.has(key)) found.push({ path: open.slice(0, -1).map((container) => container.at), key });
        inner.keys.add(key);
        inner.at = key;
        inner.keyNext = false;
      }
    } else if (char === '{') open.push({ keys: new Set(), keyNext: true, at: '' });
    else if (char === '[') open.push({ keys: null, keyNext: false, at: 0 });
    else if (char === '}' || char === ']') open.pop();
    else if (char === ',' && inner !== undefined) {
      if (inner.keys) inner.keyNext = true;
      else inner.at = (inner.at as number) + 1;
    }
  }
  return found;
}

/**
 * `JSON.parse(text)`, each object whose text repeated a key marked with the keys repeated:
 * JSON.parse keeps a repeated key's last value alone, and a reader must not take it for the only one.
 */
export function parseNoticingRepeatedKeys(text: string): unknown {
  const body = JSON.parse(text) as unknown;
  for (const { path, key } of repeatedJsonKeys(text)) {
    const object = path.reduce<unknown>((node, step) => (node as Record<string | number, unknown>)[step], body) as {
      [REPEATED_KEYS]?: Set<string>;
    };
    (object[REPEATED_KEYS] ??= new Set()).add(key);
  }
  return body;
}

/**
 * The top log-probabilities of the first generated token, keyed by token id. Keys must be in
 * vLLM's `token_id:<id>` form (requested with `return_tokens_as_token_ids`), because decoded
 * token strings are ambiguous: two ids that decode to the same text are two entries here, each
 * read by its id. A token id given twice (a key repeated in the answer's text, where parsed by
 * `parseNoticingRepeatedKeys`, or written two ways) is refused: which value is the token's cannot
 * be told.
 */
export function readTopLogprobsById(url: string, logprobs: CompletionLogprobs, prompt: RemotePromptPlace): Map<number, number> {
  const top = logprobs.top_logprobs?.[0];
  if (!top || typeof top !== 'object') {
    throw new RemoteModelError(url, 'the answer has no top_logprobs for the first generated token', undefined, prompt);
  }
  const byId = new Map<number, number>();
  const repeated = (top as { [REPEATED_KEYS]?: Set<string> })[REPEATED_KEYS];
  for (const [key, value] of Object.entries(top)) {
    const match = /^token_id:(\d+)$/.exec(key);
    if (!match) {
      throw new RemoteModelError(
        url,
        `top_logprobs key ${JSON.stringify(key)} is not of the form token_id:<id>; the top-logprobs mode needs a server that honours return_tokens_as_token_ids (vLLM does)`,
        undefined,
        prompt,
      );
    }
    if (!isLogprob(value)) {
      throw new RemoteModelError(
        url,
        `top_logprobs[${JSON.stringify(key)}] is not a log-probability: ${quoteLogprob(value)}`,
        undefined,
        prompt,
      );
    }
    const id = Number(match[1]);
    if (byId.has(id) || repeated?.has(key)) {
      throw new RemoteModelError(
        url,
        `top_logprobs gives token ${id} more than once, and which of its log-probabilities is the token's cannot be told; the server must send one entry per token id`,
        undefined,
        prompt,
      );
    }
    byId.set(id, value);
  }
  // Nothing to read a label from, nor a lowest value to floor one to (the floor of an empty set
  // is Infinity): the answer is malformed, whatever missingLabel says.
  if (byId.size === 0) {
    throw new RemoteModelError(url, "the answer's top_logprobs for the first generated token is empty", undefined, prompt);
  }
  return byId;
}

/** The token ids of a `/tokenize` answer (`{ tokens: number[] }`, as vLLM and llama.cpp send). */
export function readTokenIds(url: string, body: unknown, text: string): number[] {
  const tokens = (body as { tokens?: unknown } | null)?.tokens;
  if (!Array.isArray(tokens) || !tokens.every((t) => typeof t === 'number' && Number.isInteger(t) && t >= 0)) {
    throw new RemoteModelError(url, `expected { tokens: number[] } when tokenizing ${JSON.stringify(text.slice(0, 60))}`);
  }
  return tokens as number[];
}
