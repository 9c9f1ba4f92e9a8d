/**
 * Secrets that must never reach a message: API keys read from the environment are registered
 * here when they are read, so that an error quoting them (a server echoing the Authorization
 * header, say) is printed without them.
 */
const registered = new Set<string>();

/** The text that stands in for a redacted secret. */
export const REDACTED = '***';

/**
 * Remembers `secret` (e.g. an API key) so that `redactSecrets` removes it from every message.
 * Values shorter than 4 characters are ignored: redacting them would garble ordinary words.
 *
 * @example
 * registerSecret(process.env.OPENAI_API_KEY ?? '');
 */
export function registerSecret(secret: string | undefined): void {
  if (secret !== undefined && secret.length >= 4) registered.add(secret);
}

/** Registered secrets of at least this many characters are redacted in any case: real keys, not words. */
const ANY_CASE_LENGTH = 12;

const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@]*@/gi;
const AUTHORIZATION = /\b(bearer|basic)(\s+)[^\s"',;}]+/gi;
const KEY_FIELDS =
  /(["']?(?:api[_-]?key|x-api-key|authorization|password|secret|token)["']?\s*[:=]\s*["']?)(?!bearer\b|basic\b)[^\s"',;}]+/gi;
const OPENAI_KEYS = /\bsk-[A-Za-z0-9_-]{8,}/g;

/**
 * `text` with credentials replaced by `***`: the user-info part of URLs
 * (`http://user:password@host` becomes `http://***@host`), `Bearer`/`Basic` tokens, values of
 * `api_key`/`authorization`/`password`/`token` fields, `sk-…` keys and every registered secret
 * (in another case too, if it has 12 characters or more).
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
  return result
    .replace(URL_CREDENTIALS, `$1${REDACTED}@`)
    .replace(AUTHORIZATION, `$1$2${REDACTED}`)
    .replace(KEY_FIELDS, `$1${REDACTED}`)
    .replace(OPENAI_KEYS, `sk-${REDACTED}`);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
