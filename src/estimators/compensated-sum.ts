/**
 * A running sum with Neumaier's compensation (each addition's exact rounding error, kept apart):
 * the error stays at a few ulps of the result however many terms are added, which keeps long
 * incremental estimates close to the O(M) form.
 *
 * @example
 * const sum = new CompensatedSum();
 * for (const x of [1e16, 1, -1e16]) sum.add(x);
 * sum.value; // 1 (plain addition gives 0)
 */
export class CompensatedSum {
  private sum = 0;
  private compensation = 0;

  get value(): number {
    return this.sum + this.compensation;
  }

  add(x: number): void {
    // Knuth's branch-free two-sum: the rounding error of sum + x, exactly (the same error
    // Neumaier's ordered form finds), in less code, so that callers can inline it.
    const sum = this.sum;
    const t = sum + x;
    const part = t - sum;
    this.compensation += sum - (t - part) + (x - part);
    this.sum = t;
  }

  reset(): void {
    this.sum = 0;
    this.compensation = 0;
  }
}
