import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { InputError } from '../../src/errors.js';
import { redactSecrets } from '../../src/io/redact.js';
import { OpenAIBackend } from '../../src/model/backends/openai.js';
import { checkServedModelScheme, isOpenAIModelSpec, parseOpenAIModelSpec } from '../../src/model/backends/openaiTarget.js';
import { runCliCaptured } from '../helpers/cli.js';

describe('parseOpenAIModelSpec', () => {
  it('splits the base URL, the server root and the model name', () => {
    expect(parseOpenAIModelSpec('openai:http://gpu-7:8000/v1/#meta-llama/Llama-3.1-70B-Instruct', { env: {} })).toEqual({
      baseUrl: 'http://gpu-7:8000/v1',
      rootUrl: 'http://gpu-7:8000',
      model: 'meta-llama/Llama-3.1-70B-Instruct',
      apiKey: undefined,
    });
    expect(isOpenAIModelSpec('openai:http://x/v1#m')).toBe(true);
    expect(isOpenAIModelSpec('test/models/tiny-gpt2')).toBe(false);
  });

  it('reads the key from OPENAI_API_KEY, or from the variable named by apiKeyEnv', () => {
    const env = { OPENAI_API_KEY: 'sk-default', MY_KEY: 'sk-mine' };
    expect(parseOpenAIModelSpec('openai:https://api.example.com/v1#m', { env }).apiKey).toBe('sk-default');
    expect(parseOpenAIModelSpec('openai:https://api.example.com/v1#m', { env, apiKeyEnv: 'MY_KEY' }).apiKey).toBe('sk-mine');
  });

  it('refuses an unset --api-key-env variable, a missing model name, a bad URL or scheme', () => {
    const bad: Array<[string, string | undefined, RegExp]> = [
      ['openai:http://h:8000/v1#m', 'NOT_SET_ANYWHERE', /^apiKeyEnv: expected the name of a set environment variable/],
      ['openai:http://h:8000/v1', undefined, /the model name is missing/],
      ['openai:not a url#m', undefined, /the URL does not parse/],
      ['openai:ftp://h/v1#m', undefined, /http or https only/],
      ['http://h:8000/v1#m', undefined, /^model: expected openai:/],
    ];
    for (const [spec, apiKeyEnv, message] of bad) {
      expect(() => parseOpenAIModelSpec(spec, { env: {}, apiKeyEnv })).toThrow(InputError);
      expect(() => parseOpenAIModelSpec(spec, { env: {}, apiKeyEnv })).toThrow(message);
    }
  });

  it('names apiKeyEnv by its key in a refused URL, and --api-key-env on the command line', async () => {
    const credentials = 'openai:http://user:pw@h:1/v1#m';
    expect(() => parseOpenAIModelSpec(credentials, { env: {} })).toThrow(
      /without credentials in the URL: put the key in OPENAI_API_KEY \(or the variable named by apiKeyEnv\), got "openai:http:\/\/\*\*\*@h:1\/v1#m"$/,
    );
    expect(() => parseOpenAIModelSpec('openai:http://h:1/v1?key=1#m', { env: {} })).toThrow(
      /a key goes in OPENAI_API_KEY or the variable named by apiKeyEnv\)/,
    );
    const dir = mkdtempSync(join(tmpdir(), 'at-target-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const data = join(dir, 'pool.tsv');
    writeFileSync(data, 'sentence\tlabel\na\t0\nb\t1\n');
    const run = await runCliCaptured(['evaluate', '--model', credentials, '--data', data, '--classes', 'a,b', '--out', join(dir, 'out')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^active-testing evaluate: --model: expected .*\(or the variable named by --api-key-env\), got "openai:/);
  });

  it('refuses a spec or a backend target of the wrong kind from JavaScript with an InputError', () => {
    const garbage = (value: unknown): never => value as never;
    const expected = 'openai:<http(s) base URL>#<model name>, e.g. openai:http://localhost:8000/v1#my-model';
    for (const spec of [undefined, null, 42, {}]) {
      expect(isOpenAIModelSpec(garbage(spec))).toBe(false);
      expect(() => parseOpenAIModelSpec(garbage(spec))).toThrow(new InputError({ argument: 'model', expected, received: spec }));
      expect(() => OpenAIBackend.fromSpec(garbage(spec))).toThrow(new InputError({ argument: 'model', expected, received: spec }));
    }
    expect(() => new OpenAIBackend(garbage(undefined))).toThrow(
      /^target: expected a target \{ baseUrl, rootUrl, model, apiKey\? \} \(from parseOpenAIModelSpec\)$/,
    );
    expect(() => new OpenAIBackend(garbage({}))).toThrow(
      /^target\.baseUrl: expected a non-empty string, as in a target \{ baseUrl, rootUrl, model, apiKey\? \} \(from parseOpenAIModelSpec\)$/,
    );
    expect(() => new OpenAIBackend(garbage({ baseUrl: 'http://h/v1', rootUrl: 'http://h', model: 7 }))).toThrow(
      /^target\.model: expected a non-empty string, .*, got 7$/,
    );
  });

  it('never echoes what --api-key-env was given, which may be the key itself', () => {
    for (const given of ['paste-of-a-key-9', 'hf_SecretToken123']) {
      let message = '';
      try {
        parseOpenAIModelSpec('openai:http://h:8000/v1#m', { env: {}, apiKeyEnv: given });
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toMatch(/^apiKeyEnv: expected the name of /);
      expect(message).not.toContain(given);
    }
    // The one that cannot be a variable's name is taken for a key, and kept out of later messages.
    expect(redactSecrets('key paste-of-a-key-9 here')).toBe('key *** here');
  });
});

describe('an API key that cannot be sent in an HTTP header', () => {
  it('is refused when it is read, naming its variable and not the key, rather than retried as a failed connection', () => {
    // A leading line break and a trailing vertical tab or byte-order mark are not what fetch strips.
    const keys = ['hunter2\r\nX-Injected: 1', 'hunter2\u0001secret', 'hunter2\u20acsecret', '\nhunter2', 'hunter2\v', 'hunter2\uFEFF'];
    for (const [key, apiKeyEnv, variable] of keys.flatMap(
      (k) =>
        [
          [k, undefined, 'OPENAI_API_KEY'],
          [k, 'MY_KEY', 'MY_KEY'],
        ] as const,
    )) {
      const env = { OPENAI_API_KEY: key, MY_KEY: key };
      let message = '';
      try {
        parseOpenAIModelSpec('openai:http://h:8000/v1#m', { env, apiKeyEnv });
      } catch (error) {
        expect(error).toBeInstanceOf(InputError);
        message = (error as Error).message;
      }
      expect(message).toBe(
        `apiKeyEnv: expected a variable holding a key that can be sent in an HTTP header: ${variable} holds a line break, another control character or a character beyond Latin-1 (the key is not shown)`,
      );
    }
    // Trailing whitespace (a key pasted with its newline) is trimmed by fetch, and taken; a leading
    // space is sent after "Bearer " as it is, which a header can carry.
    expect(parseOpenAIModelSpec('openai:http://h:8000/v1#m', { env: { OPENAI_API_KEY: ' sk-abc\n' } }).apiKey).toBe(' sk-abc\n');
  });
});

describe('a served model with its scheme mistyped', () => {
  it('is refused as such, quoted without its credentials, while Hub ids under openai/ pass', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'at-scheme-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const data = join(dir, 'pool.tsv');
    writeFileSync(data, 'sentence\tlabel\na\t0\nb\t1\n');
    for (const [model, quoted] of [
      ['OpenAI:http://user:hunter2@h:8000/v1#m', 'OpenAI:http://***@h:8000/v1#m'],
      ['openai//h:8000/v1#m', 'openai//h:8000/v1#m'],
    ]) {
      const run = await runCliCaptured(['evaluate', '--model', model, '--data', data, '--classes', 'a,b', '--out', join(dir, 'out')]);
      expect(run.code).toBe(1);
      expect(run.stderr).toBe(
        `active-testing evaluate: --model: expected a served model written openai:<base URL>#<model name> ("openai:" in lower case), got "${quoted}"`,
      );
    }
    expect(() => checkServedModelScheme('openai/gpt-oss-20b')).not.toThrow();
    expect(() => checkServedModelScheme('openai-models/tiny')).not.toThrow();
  });
});

describe('parseOpenAIModelSpec with a secret in the URL', () => {
  const messageOf = (spec: string): string => {
    try {
      parseOpenAIModelSpec(spec, { env: {} });
    } catch (error) {
      expect(error).toBeInstanceOf(InputError);
      return (error as Error).message;
    }
    throw new Error(`${spec} was accepted`);
  };

  it('refuses a query string, where request paths would be appended after it, without printing it', () => {
    // The requests went to http://h:8000/v1?sig=…/tokenize, and the query was recorded in the results.
    for (const spec of ['openai:http://h:8000/v1?sig=Qm8rT2xvZ9#m', 'openai:http://h:8000/v1?#m']) {
      const message = messageOf(spec);
      expect(message).toMatch(/^model: expected .*, without a query string: request paths are appended to the base URL/);
      expect(message).toContain('got "openai:http://h:8000/v1?***#m"');
      expect(message).not.toContain('Qm8rT2xvZ9');
    }
  });

  it('refuses credentials whose password holds a malformed percent escape, without printing them', () => {
    // decodeURIComponent threw on "%zz": an "unexpected error: URI malformed" instead of this refusal.
    const message = messageOf('openai:http://me:Qm8r%zzT2@h:1/v1#m');
    expect(message).toMatch(/^model: expected .*, without credentials in the URL: .*, got "openai:http:\/\/\*\*\*@h:1\/v1#m"$/);
    expect(redactSecrets('echoed Qm8r%zzT2 here')).toBe('echoed *** here');
  });

  it('never prints the user-info of a URL, even one that does not parse', () => {
    // A password holding "/" or "#" makes the URL unreadable; its user-info is still hidden.
    for (const spec of ['openai:https://me:Qm8r/T2xvZ9@h/v1#m', 'openai:https://me:Qm8r#T2xvZ9@h/v1#m']) {
      const message = messageOf(spec);
      expect(message).toMatch(/^model: expected .*, got "openai:https:\/\/\*\*\*@h\/v1#m"$/);
      expect(message).not.toMatch(/Qm8r|T2xvZ9/);
    }
  });
});
