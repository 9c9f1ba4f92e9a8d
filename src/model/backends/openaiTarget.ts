import { InputError } from '../../errors.js';
import { sendableInHeader } from '../../io/header-value.js';
import { REDACTED, redactSecrets, registerSecret } from '../../io/redact.js';
import { checkKnownKeys } from '../../io/suggest.js';

/** Where a served model lives: the API base URL (ending in `/v1`), the model name, and the key if any. */
export interface OpenAITarget {
  /** e.g. `http://localhost:8000/v1`, without a trailing slash. */
  baseUrl: string;
  /** The server root, where vLLM serves `/tokenize` (the base URL without its `/v1`). */
  rootUrl: string;
  /** The name the server knows the model by (vLLM's `--served-model-name`, or the model path). */
  model: string;
  /** The API key; `parseOpenAIModelSpec` sets it to undefined when no key is set. */
  apiKey?: string | undefined;
}

const SCHEME = 'openai:';

/**
 * Whether a `--model` value names a served model (`openai:...`) rather than a local directory or Hub id.
 *
 * @example
 * isOpenAIModelSpec('openai:http://localhost:8000/v1#my-model'); // true
 * isOpenAIModelSpec('Qwen/Qwen2.5-0.5B-Instruct'); // false: a Hub id
 */
export function isOpenAIModelSpec(spec: string): boolean {
  return typeof spec === 'string' && spec.startsWith(SCHEME);
}

/**
 * Refuses a `--model` value that reads as a served model with its scheme mistyped (`OpenAI:…`,
 * `openai//…`): taken as a folder, it would be refused as a missing model folder, saying nothing
 * of the form it was meant to have. The value is quoted without its credentials.
 *
 * @example
 * checkServedModelScheme('openai/gpt-oss-20b'); // passes: a Hub id
 * checkServedModelScheme('OpenAI:http://h:8000/v1#m'); // throws: model: expected … "openai:" in lower case …
 * @throws {InputError} naming `model` when `spec` starts with "openai:" in another case, or with
 *   "openai//".
 */
export function checkServedModelScheme(spec: string): void {
  // Not `openai/…`: a Hub id (openai/gpt-oss-20b).
  if (isOpenAIModelSpec(spec) || !/^openai(?::|\/\/)/i.test(spec)) return;
  throw new InputError({
    argument: 'model',
    expected: 'a served model written openai:<base URL>#<model name> ("openai:" in lower case)',
    received: printableSpec(spec),
  });
}

/**
 * Reads `openai:<base URL>#<model name>`, the `--model` form for OpenAI-compatible servers.
 * The API key comes from the environment variable `apiKeyEnv` (default `OPENAI_API_KEY`); when
 * that variable was named explicitly it must be set, while the default may be absent (local
 * servers usually need no key).
 *
 * @throws {InputError} on a malformed spec, an unknown option, an `apiKeyEnv` named but not set, or a
 *   key that an HTTP header cannot carry (a line break or another control character in it).
 * @example
 * parseOpenAIModelSpec('openai:http://gpu-node:8000/v1#meta-llama/Llama-3.1-70B');
 * // { baseUrl: 'http://gpu-node:8000/v1', rootUrl: 'http://gpu-node:8000', model: 'meta-llama/Llama-3.1-70B', apiKey: undefined }
 */
export function parseOpenAIModelSpec(
  spec: string,
  options: { apiKeyEnv?: string; env?: Readonly<Record<string, string | undefined>> } = {},
): OpenAITarget {
  checkKnownKeys(options, ['apiKeyEnv', 'env'], null);
  const expected = 'openai:<http(s) base URL>#<model name>, e.g. openai:http://localhost:8000/v1#my-model';
  if (typeof spec !== 'string') throw new InputError({ argument: 'model', expected, received: spec });
  if (!isOpenAIModelSpec(spec)) throw new InputError({ argument: 'model', expected, received: printableSpec(spec) });
  const rest = spec.slice(SCHEME.length);
  const hash = rest.indexOf('#');
  const urlText = hash < 0 ? rest : rest.slice(0, hash);
  const model = hash < 0 ? '' : rest.slice(hash + 1);
  if (model === '')
    throw new InputError({ argument: 'model', expected: `${expected} (the model name is missing)`, received: printableSpec(spec) });
  let url: URL;
  try {
    url = new URL(urlText);
  } catch {
    throw new InputError({ argument: 'model', expected: `${expected} (the URL does not parse)`, received: printableSpec(spec) });
  }
  if (url.username !== '' || url.password !== '') {
    registerSecret(url.password);
    registerSecret(decodedOrNot(url.password));
    throw new InputError({
      argument: 'model',
      expected: (naming) =>
        `${expected}, without credentials in the URL: put the key in OPENAI_API_KEY (or the variable named by ${naming.option('apiKeyEnv')})`,
      received: printableSpec(spec),
    });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InputError({ argument: 'model', expected: `${expected} (http or https only)`, received: printableSpec(spec) });
  }
  if (urlText.includes('?')) {
    throw new InputError({
      argument: 'model',
      expected: (naming) =>
        `${expected}, without a query string: request paths are appended to the base URL (a key goes in OPENAI_API_KEY or the variable named by ${naming.option('apiKeyEnv')})`,
      received: printableSpec(spec),
    });
  }
  const baseUrl = url.href.replace(/\/+$/, '');
  const rootUrl = baseUrl.replace(/\/v1$/, '');
  return { baseUrl, rootUrl, model, apiKey: readApiKey(options.apiKeyEnv, options.env ?? process.env) };
}

/**
 * `spec` as an error may quote it: without the user-info of its URL, even of one that does not
 * parse (a password may hold `/` or `#`), nor its query string, where some services take a key.
 */
function printableSpec(spec: string): string {
  return redactSecrets(spec.replace(/(:\/\/).*@/, `$1${REDACTED}@`).replace(/\?[^#]*/, `?${REDACTED}`));
}

/** `text` with its percent escapes decoded, or as it is where one is malformed (`%zz`). */
function decodedOrNot(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * The key from the environment. A `--api-key-env` that is not a set variable is never echoed:
 * pasting the key itself there is an easy mistake, and the error would print it.
 */
function readApiKey(apiKeyEnv: string | undefined, env: Readonly<Record<string, string | undefined>>): string | undefined {
  const key = apiKeyEnv === undefined ? env.OPENAI_API_KEY || undefined : env[apiKeyEnv];
  registerSecret(key);
  if (key !== undefined && !sendableInHeader(key)) {
    throw new InputError({
      argument: 'apiKeyEnv',
      expected: `a variable holding a key that can be sent in an HTTP header: ${apiKeyEnv ?? 'OPENAI_API_KEY'} holds a line break, another control character or a character beyond Latin-1 (the key is not shown)`,
    });
  }
  if (apiKeyEnv === undefined) return key;
  if (!key) {
    const named = /^[A-Za-z_][A-Za-z0-9_]*$/.test(apiKeyEnv);
    // Not a variable's name: most likely the key itself, kept out of anything printed later.
    if (!named) registerSecret(apiKeyEnv);
    throw new InputError({
      argument: 'apiKeyEnv',
      expected: named
        ? 'the name of a set environment variable holding the API key (the variable given is not set)'
        : 'the name of an environment variable (letters, digits and _) holding the API key, not the key itself',
    });
  }
  return key;
}
