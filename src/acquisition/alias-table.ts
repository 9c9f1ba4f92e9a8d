/**
 * Vose's alias table for drawing index r with probability weights[r]/mass in O(1): bucket r is
 * kept with probability `keep[r]`, otherwise it gives `alias[r]`. Draw a bucket and its coin from
 * one uniform u: r = floor(u·n), kept when u·n − r < keep[r].
 *
 * @example
 * const { keep, alias } = aliasTable(Float64Array.of(1, 3), 4);
 * // bucket 0 is kept with probability 0.5 and otherwise gives 1: P(0) = 0.25, P(1) = 0.75
 */
export function aliasTable(weights: Float64Array, mass: number): { keep: Float64Array; alias: Int32Array } {
  const n = weights.length;
  const keep = new Float64Array(n);
  const alias = new Int32Array(n);
  const scaled = new Float64Array(n);
  const small = new Int32Array(n);
  const large = new Int32Array(n);
  let smallCount = 0;
  let largeCount = 0;
  for (let r = 0; r < n; r++) {
    scaled[r] = (weights[r] / mass) * n;
    alias[r] = r;
    if (scaled[r] < 1) small[smallCount++] = r;
    else large[largeCount++] = r;
  }
  while (smallCount > 0 && largeCount > 0) {
    const less = small[--smallCount];
    const more = large[largeCount - 1];
    keep[less] = scaled[less];
    alias[less] = more;
    scaled[more] = scaled[more] + scaled[less] - 1;
    if (scaled[more] < 1) {
      largeCount--;
      small[smallCount++] = more;
    }
  }
  // What is left is 1 up to rounding.
  while (largeCount > 0) keep[large[--largeCount]] = 1;
  while (smallCount > 0) keep[small[--smallCount]] = 1;
  return { keep, alias };
}
