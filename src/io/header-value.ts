// eslint-disable-next-line no-control-regex -- control characters are what it finds
const NOT_IN_A_HEADER = /[\u0000-\u0008\u000A-\u001F\u007F]|[^\u0000-\u00FF]/;

/**
 * Whether `value` can follow `Bearer ` in an HTTP header: no line break or other control
 * character, nothing beyond Latin-1. fetch drops trailing HTTP whitespace (a key pasted with its
 * newline), so that is allowed; anything else makes fetch throw "invalid header value", which
 * reads as a network failure.
 *
 * @example
 * sendableInHeader('sk-abc\n'); // true
 * sendableInHeader('sk-a\nbc'); // false
 */
export function sendableInHeader(value: string): boolean {
  return !NOT_IN_A_HEADER.test(value.replace(/[\t\n\r ]+$/, ''));
}
