import { describe, expect, it } from 'vitest';
import { ActiveTestingSession, InputError } from '../../src/index.js';

const pool = {
  texts: ['a', 'b', 'c'],
  classes: ['x', 'y'],
  modelScores: [
    [1, 0],
    [0, 1],
    [2, 0],
  ],
};

/** The refusal of `create` with `options` over the pool above, or 'accepted'. */
async function refusal(options: Record<string, unknown>): Promise<string> {
  try {
    await ActiveTestingSession.create(null, { ...pool, ...options } as never);
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return (error as InputError).message;
  }
  return 'accepted';
}

describe("a session's pool lists given as something other than an array", () => {
  it('says what texts was given instead of a list', async () => {
    expect(await refusal({ texts: 'one text' })).toBe('texts: expected a non-empty array of strings, got "one text"');
    expect(await refusal({ texts: undefined })).toBe('texts: expected a non-empty array of strings, got undefined');
    expect(await refusal({ texts: new Int32Array(3) })).toBe('texts: expected a non-empty array of strings, got an Int32Array of length 3');
    expect(await refusal({ texts: [] })).toBe('texts: expected a non-empty array of strings, got []');
  });

  it("refuses classes written as one string rather than counting the string's characters", async () => {
    // Its length read as a count of classes said "expected at least 2 class names, got 17".
    expect(await refusal({ classes: 'negative,positive' })).toBe(
      'classes: expected an array of at least 2 class names, got "negative,positive"',
    );
    expect(await refusal({ classes: undefined })).toBe('classes: expected an array of at least 2 class names, got undefined');
    expect(await refusal({ classes: ['x'] })).toBe('classes: expected at least 2 class names, got 1');
  });

  it('refuses ids written as one string rather than reading its characters as the ids', async () => {
    // Spread into characters, "abc" became the ids a, b and c of the three texts without a word.
    expect(await refusal({ ids: 'abc' })).toBe('ids: expected an array of 3 ids, one per text, got "abc"');
    expect(await refusal({ ids: 'p,q' })).toBe('ids: expected an array of 3 ids, one per text, got "p,q"');
    expect(await refusal({ ids: ['p', 'q'] })).toBe('ids: expected 3 ids, one per text, got 2');
    const session = await ActiveTestingSession.create(null, { ...pool, ids: ['p', 'q', 'r'] });
    expect(session.ids).toEqual(['p', 'q', 'r']);
  });
});
