import { describe, expect, it } from 'vitest';
import { recordedLabels, recordedRowCount } from '../../src/simulate/recorded-rows.js';

describe('recordedRowCount and recordedLabels: the rows a run of size labels records every step', () => {
  it('are the published rows, and under the default numerics a last one at size where the step skips it', () => {
    expect(Array.from(recordedLabels(100, 25, 'default'))).toEqual([1, 26, 51, 76, 100]);
    expect(Array.from(recordedLabels(100, 25, 'reference'))).toEqual([1, 26, 51, 76]);
    expect(Array.from(recordedLabels(101, 25, 'default'))).toEqual([1, 26, 51, 76, 101]);
    expect(Array.from(recordedLabels(100, 100, 'default'))).toEqual([1, 100]);
    expect(Array.from(recordedLabels(1, 1, 'default'))).toEqual([1]);
  });

  it('end at size under the default numerics for every size and step, and count what they list', () => {
    for (let size = 1; size <= 40; size++) {
      for (let step = 1; step <= size; step++) {
        const published = Array.from({ length: Math.ceil(size / step) }, (_, k) => k * step + 1);
        const labels = Array.from(recordedLabels(size, step, 'default'));
        expect(labels.at(-1)).toBe(size);
        expect(labels.slice(0, published.length)).toEqual(published);
        expect(labels.length - published.length).toBe(published.at(-1) === size ? 0 : 1);
        expect(recordedRowCount(size, step, 'default')).toBe(labels.length);
        expect(Array.from(recordedLabels(size, step, 'reference'))).toEqual(published);
        expect(recordedRowCount(size, step, 'reference')).toBe(published.length);
      }
    }
  });
});
