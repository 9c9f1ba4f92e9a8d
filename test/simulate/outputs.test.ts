import { describe, expect, it } from 'vitest';
import { toJson } from '../../src/io/json.js';

describe('toJson', () => {
  it('writes non-finite numbers as the strings the oracle fixtures use, not null', () => {
    const text = toJson({ mse: [1.5, NaN, Infinity, -Infinity], nested: { x: 0.1 } });
    expect(JSON.parse(text)).toEqual({ mse: [1.5, 'NaN', 'Infinity', '-Infinity'], nested: { x: 0.1 } });
    expect(text.endsWith('}\n')).toBe(true);
  });
});
