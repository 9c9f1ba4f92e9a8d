import { describe, expect, it } from 'vitest';
import {
  ActiveTestingError,
  FileFormatError,
  InputError,
  InterruptedOutputError,
  OutputExistsError,
  passForce,
  ReceivedKind,
  withArticle,
} from '../src/errors.js';
import { simulate } from '../src/simulate/simulate.js';
import { simulationInput, syntheticPool } from './acquisition/synthetic-pool.js';

const received = (value: unknown) => new InputError({ argument: 'x', expected: 'a number', received: value }).message;

describe('withArticle', () => {
  it('puts the article a word or number is said with before it', () => {
    const said = (texts: string[]) => texts.map(withArticle);
    expect(said(['Int32Array', 'Object', 'ActiveTestingSession', 'Uncaught', 'Map', 'Float64Array'])).toEqual([
      'an Int32Array',
      'an Object',
      'an ActiveTestingSession',
      'an Uncaught',
      'a Map',
      'a Float64Array',
    ]);
    // A U said "you": Uint…, Uni…, an acronym.
    expect(said(['Uint8Array', 'Uint8ClampedArray', 'Unicode', 'URL'])).toEqual([
      'a Uint8Array',
      'a Uint8ClampedArray',
      'a Unicode',
      'a URL',
    ]);
    // A number by its first spoken word: eight…, eleven, eighteen, of its leading group of three digits.
    expect(said(['8-token', '11-token', '18-token', '80%', '85.5%', '800', '11000', '18000000', '8.5'])).toEqual([
      'an 8-token',
      'an 11-token',
      'an 18-token',
      'an 80%',
      'an 85.5%',
      'an 800',
      'an 11000',
      'an 18000000',
      'an 8.5',
    ]);
    expect(said(['1-token', '95%', '110', '1100', '180', '1.28', '99.9%'])).toEqual([
      'a 1-token',
      'a 95%',
      'a 110',
      'a 1100',
      'a 180',
      'a 1.28',
      'a 99.9%',
    ]);
  });
});

describe('InputError says what it received', () => {
  it('shows objects, typed arrays and functions by what they are, never as "[object Object]"', () => {
    expect(received({})).toBe('x: expected a number, got {}');
    expect(received({ a: 1, b: [2, 3n] })).toBe('x: expected a number, got {"a":1,"b":[2,"3n"]}');
    expect(received({ text: 'y'.repeat(200) })).toBe(`x: expected a number, got {"text":"${'y'.repeat(70)}…`);
    expect(received(Float64Array.of(1, 2, 3))).toBe('x: expected a number, got a Float64Array of length 3');
    expect(received(new DataView(new ArrayBuffer(4)))).toBe('x: expected a number, got a DataView');
    expect(received(() => 1)).toBe('x: expected a number, got a function');
    expect(received(new Map())).toBe('x: expected a number, got a Map');
    // The article goes by sound: "an Int32Array", "an Object", but "a Uint8Array".
    expect(received(new Int32Array(2))).toBe('x: expected a number, got an Int32Array of length 2');
    expect(received(new Uint8Array(2))).toBe('x: expected a number, got a Uint8Array of length 2');
    expect(received(Object.create({}))).toBe('x: expected a number, got an Object');
    expect(received(new (class ActiveTestingThing {})())).toBe('x: expected a number, got an ActiveTestingThing');
    // Objects with no class name or no toString to give are still said, not a TypeError thrown instead.
    expect(received(new (class {})())).toBe('x: expected a number, got an object');
    expect(received(Object.create(Object.create(null) as object))).toBe('x: expected a number, got an object');
    expect(received(Object.create(Object.create({}, { constructor: { value: undefined } }) as object))).toBe(
      'x: expected a number, got an object',
    );
    expect(received(new URL('file:///tmp/a.npy'))).toBe('x: expected a number, got file:///tmp/a.npy');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(received(cyclic)).toBe('x: expected a number, got an object');
  });

  it('keeps strings quoted, numbers, arrays and bigints as before', () => {
    expect(received('1')).toBe('x: expected a number, got "1"');
    expect(received(NaN)).toBe('x: expected a number, got NaN');
    expect(received([1, 'a', null])).toBe('x: expected a number, got [1, "a", null]');
    expect(received(2n)).toBe('x: expected a number, got 2n (a bigint)');
  });

  it('shows a long string or list by its start and its length, so the message stays one short line', () => {
    expect(received('z'.repeat(200))).toBe(`x: expected a number, got "${'z'.repeat(200)}"`);
    expect(received(`${'z'.repeat(59)}\n${'z'.repeat(3000)}`)).toBe(
      `x: expected a number, got "${'z'.repeat(59)}\\n"… (a string of 3060 characters)`,
    );
    const list = Array.from({ length: 10_000 }, (_, i) => i);
    expect(received(list.slice(0, 20))).toBe(`x: expected a number, got [${list.slice(0, 20).join(', ')}]`);
    expect(received(list)).toBe('x: expected a number, got [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, …] (10000 values)');
    // Items of a list are shortened further, so that twenty long strings or lists stay one short line.
    expect(received(['a', 'b'.repeat(60), 'b'.repeat(61), [1, 2], [], [1, 2, 3, 4, 5, 6]])).toBe(
      `x: expected a number, got ["a", "${'b'.repeat(60)}", "${'b'.repeat(20)}"… (a string of 61 characters), [1, 2], [], […] (a list of 6)]`,
    );
    const item = `"${'c'.repeat(20)}"… (a string of 200 characters)`;
    expect(received(Array.from({ length: 20 }, () => 'c'.repeat(200)))).toBe(
      `x: expected a number, got [${Array(20).fill(item).join(', ')}]`,
    );
  });

  it('quotes a noted value as a value and leaves its note unquoted, in parentheses after it', () => {
    expect(received(ReceivedKind.noted('runs, old', 'it does not exist'))).toBe(
      'x: expected a number, got "runs, old" (it does not exist)',
    );
    expect(received(ReceivedKind.noted(8080, 'it is in use'))).toBe('x: expected a number, got 8080 (it is in use)');
    expect(received(ReceivedKind.noted(['a', 'b'], 'the same folder'))).toBe('x: expected a number, got ["a", "b"] (the same folder)');
    expect(received(new ReceivedKind('a list'))).toBe('x: expected a number, got a list');
  });

  it('names an object given as an option value', async () => {
    const input = simulationInput(syntheticPool(50, 2, 1));
    await expect(simulate(input, { runs: 2, size: 5, seed: {} as unknown as number })).rejects.toThrow(/^seed: expected .*, got \{\}$/);
  });
});

describe('InputError names the options it mentions in its reader’s words', () => {
  const flags = { option: (name: string) => `--${name}`, setting: (name: string, value: string | number) => `--${name} ${value}` };
  const error = new InputError({
    argument: 'step',
    expected: (naming) => `at most ${naming.option('size')} (not ${naming.setting('bootstrap', 'none')})`,
    received: 9,
  });

  it('by the library keys in its message, by any naming in namedBy, at any row', () => {
    expect(error.message).toBe("step: expected at most size (not bootstrap: 'none'), got 9");
    expect(error.expected).toBe("at most size (not bootstrap: 'none')");
    expect(error.namedBy(flags)).toBe('--step: expected at most --size (not --bootstrap none), got 9');
    expect(error.atRow(3).namedBy(flags)).toBe('--step (row 3): expected at most --size (not --bootstrap none), got 9');
  });

  it('in an error rebuilt from it under another argument, through expectedBy', () => {
    expect(error.expectedBy(flags)).toBe('at most --size (not --bootstrap none)');
    expect(new InputError({ argument: 'x', expected: 'a number' }).expectedBy(flags)).toBe('a number');
    const rebuilt = new InputError({ argument: 'length', expected: (naming) => `for the run: ${error.expectedBy(naming)}`, received: 9 });
    expect(rebuilt.message).toBe("length: expected for the run: at most size (not bootstrap: 'none'), got 9");
    expect(rebuilt.namedBy(flags)).toBe('--length: expected for the run: at most --size (not --bootstrap none), got 9');
  });
});

describe('a refusal that force overrides names force in its reader’s words', () => {
  const flags = {
    option: (name: string) => `--${name}`,
    setting: (name: string, value: string | number | boolean) => (value === true ? `--${name}` : `--${name} ${value}`),
  };

  it('by the library key in its message, by the naming given to namedBy', () => {
    const exists = new OutputExistsError('out/scores.npy');
    expect(exists.message).toBe('out/scores.npy already exists; pass force: true to replace it');
    expect(exists.namedBy(flags)).toBe('out/scores.npy already exists; pass --force to replace it');
    const interrupted = new InterruptedOutputError('out', ['estimates.npy'], 'summary.json', 'run');
    expect(interrupted.message).toBe(
      'out already exists; it holds an interrupted run: estimates.npy without summary.json (written last); pass force: true to start over',
    );
    expect(interrupted.namedBy(flags)).toBe(
      'out already exists; it holds an interrupted run: estimates.npy without summary.json (written last); pass --force to start over',
    );
  });

  it('in a file error too, naming the option that named the file; its reason in library words', () => {
    const error = new FileFormatError('run/.partial.json', (naming) => `not JSON; ${passForce(naming, 'start fresh')}`, 'checkpoint');
    expect(error.message).toBe('checkpoint: run/.partial.json: not JSON; pass force: true to start fresh');
    expect(error.reason).toBe('not JSON; pass force: true to start fresh');
    expect(error.namedBy(flags)).toBe('--checkpoint: run/.partial.json: not JSON; pass --force to start fresh');
  });

  it('an error without options to name reads the same to everyone', () => {
    const error = new OutputExistsError('splits.json', 'remove it or use another folder');
    expect(error.namedBy(flags)).toBe(error.message);
    expect(new ActiveTestingError('plain').namedBy(flags)).toBe('plain');
  });
});
