import { describe, expect, it } from 'vitest';
import { formatCount } from '../../src/io/format-count.js';

describe('formatCount', () => {
  it('puts the noun in the singular for exactly one, in the plural otherwise', () => {
    expect(formatCount(1, 'item')).toBe('1 item');
    expect(formatCount(0, 'item')).toBe('0 items');
    expect(formatCount(2, 'label')).toBe('2 labels');
    expect(formatCount(400, 'run')).toBe('400 runs');
    expect(formatCount(1, 'entry', 'entries')).toBe('1 entry');
    expect(formatCount(3, 'entry', 'entries')).toBe('3 entries');
  });
});
