/** JSON with non-finite numbers as the strings "NaN", "Infinity", "-Infinity" (the oracle's convention), not null. */
export function toJson(value: unknown): string {
  return `${JSON.stringify(value, nonFiniteAsString, 2)}\n`;
}

/**
 * `toJson` on one line, without its newline: a command's `--json` line, which carries the same
 * numbers as the files it wrote (null there means something else, a threshold never reached).
 *
 * @example
 * toJsonLine({ ratio: Number.NaN, labels: null }); // '{"ratio":"NaN","labels":null}'
 */
export function toJsonLine(value: unknown): string {
  return JSON.stringify(value, nonFiniteAsString);
}

function nonFiniteAsString(_: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? String(value) : value;
}

/**
 * Where the text of a JSON value (valid JSON) first gives a key twice in one object, at any depth,
 * as a path (`settings[1].acquisition`, or the key alone at the top level); undefined when no key
 * repeats. `JSON.parse`, as Python's `json`, keeps only the last value, so the first is lost
 * without a word. One pass over the text, strings skipped.
 *
 * @example
 * repeatedJsonKey('{"runs": 5, "runs": 7}'); // 'runs'
 * repeatedJsonKey('{"settings": [{}, {"clip": 0.1, "clip": 0.2}]}'); // 'settings[1].clip'
 * repeatedJsonKey('{"a.b": {"c": 1, "c": 2}}'); // '["a.b"].c'
 */
export function repeatedJsonKey(json: string): string | undefined {
  // One frame per open object or list: the keys an object has given, or a list's item index.
  const frames: Array<{ keys: Set<string>; key?: string } | { index: number }> = [];
  let lastString = '';
  // A key that is not a plain name (empty, or holding a dot or a space) is quoted in brackets, so
  // that {"a.b": …} and {"a": {"b": …}} are told apart.
  const segment = (key: string): string => (/^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`);
  const place = (): string =>
    frames
      .map((frame) => ('keys' in frame ? segment(frame.key ?? '') : `[${frame.index}]`))
      .join('')
      .replace(/^\./, '');
  for (let i = 0; i < json.length; i++) {
    const ch = json[i];
    if (ch === '"') {
      const start = i;
      for (i++; json[i] !== '"'; i++) if (json[i] === '\\') i++;
      lastString = json.slice(start, i + 1);
    } else if (ch === '{') frames.push({ keys: new Set() });
    else if (ch === '[') frames.push({ index: 0 });
    else if (ch === '}' || ch === ']') frames.pop();
    else if (ch === ',') {
      const frame = frames.at(-1);
      if (frame !== undefined && 'index' in frame) frame.index++;
    } else if (ch === ':') {
      const frame = frames.at(-1) as { keys: Set<string>; key?: string };
      const key = JSON.parse(lastString) as string;
      frame.key = key;
      if (frame.keys.has(key)) return place();
      frame.keys.add(key);
    }
  }
  return undefined;
}
