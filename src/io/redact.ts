/**
 * Secrets that must never reach a message: API keys read from the environment are registered
 * here when they are read, so that an error quoting them (a server echoing the Authorization
 * header, say) is printed without them.
 */
const registered = new Set<string>();

/**
 * Registered secrets of at least this many characters are redacted in any case, and base64-encoded
 * too: real keys, not words, whose encodings are too long to turn up in a message by chance.
 */
const ANY_CASE_LENGTH = 12;

/** The base64 runs that encode a registered secret of `ANY_CASE_LENGTH` or more (`base64Runs`), redacted as the secret is. */
const encoded = new Set<string>();

/** The text that stands in for a redacted secret. */
export const REDACTED = '***';

/**
 * Remembers `secret` (e.g. an API key) so that `redactSecrets` removes it from every message,
 * with or without trailing whitespace. Values shorter than 4 characters are ignored: redacting them would garble ordinary words.
 *
 * @example
 * registerSecret(process.env.OPENAI_API_KEY ?? '');
 */
export function registerSecret(secret: string | undefined): void {
  if (secret === undefined) return;
  // A value pasted with its newline is sent without it (fetch drops a header's trailing
  // whitespace), and a server echoes what it was sent.
  for (const form of new Set([secret, secret.replace(/[\t\n\r ]+$/, '')])) {
    if (form.length < 4) continue;
    registered.add(form);
    if (form.length >= ANY_CASE_LENGTH) for (const run of base64Runs(form)) encoded.add(run);
  }
}

/**
 * The base64 and base64url text that `secret`'s bytes encode to wherever they start in encoded
 * data: one run for each of the three places a byte can take in a group of three (the key alone,
 * `Bearer <key>`, `user:<key>` of a Basic header), less the digits at either end that share bits
 * with the bytes around it.
 *
 * @example
 * base64Runs('sk-proj-ABCDEFGHIJ')[0]; // 'c2stcHJvai1BQkNERUZHSElK', the key encoded alone (18 bytes: no digit shared)
 */
function base64Runs(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  const runs = [0, 1, 2].map((offset) => {
    // The digits past `offset` filler bytes whose 6 bits all come from the secret's bytes.
    const text = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64');
    return text.slice(Math.ceil((8 * offset) / 6), Math.floor((8 * (offset + bytes.length)) / 6));
  });
  return [...new Set([...runs, ...runs.map((run) => run.replaceAll('+', '-').replaceAll('/', '_'))])];
}

const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@]*@/gi;
const AUTHORIZATION = /\b(bearer|basic)(\s+)[^\s"',;}]+/gi;
const KEY_FIELDS =
  /(["']?(?:api[_-]?key|x-api-key|authorization|password|secret|token)["']?\s*[:=]\s*["']?)(?!bearer\b|basic\b)[^\s"',;}]+/gi;
const OPENAI_KEYS = /\bsk-[A-Za-z0-9_-]{8,}/g;

/**
 * `text` with credentials replaced by `***`: the user-info part of URLs
 * (`http://user:password@host` becomes `http://***@host`), `Bearer`/`Basic` tokens, values of
 * `api_key`/`authorization`/`password`/`token` fields, `sk-…` keys and every registered secret
 * (if it has 12 characters or more, in another case too, and base64- or base64url-encoded, alone
 * or within encoded data such as a Basic header or `Bearer <key>`).
 *
 * @example
 * redactSecrets('GET http://me:hunter2@host/v1 failed'); // 'GET http://***@host/v1 failed'
 */
export function redactSecrets(text: string): string {
  let result = text;
  // A key of a real length whatever its case (a server may quote it lower-cased, and that is most
  // of the key still); a short one (vLLM's placeholder `EMPTY`) as it is, or every "non-empty"
  // in a message would lose a word.
  for (const secret of registered)
    result = result.replace(new RegExp(escapeRegExp(secret), secret.length >= ANY_CASE_LENGTH ? 'gi' : 'g'), REDACTED);
  // Base64 digits are case-sensitive: another case is other bytes.
  for (const run of encoded) result = result.replaceAll(run, REDACTED);
  return result
    .replace(URL_CREDENTIALS, `$1${REDACTED}@`)
    .replace(AUTHORIZATION, `$1$2${REDACTED}`)
    .replace(KEY_FIELDS, `$1${REDACTED}`)
    .replace(OPENAI_KEYS, `sk-${REDACTED}`);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
