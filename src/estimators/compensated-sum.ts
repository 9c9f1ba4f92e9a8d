/**
 * A running sum with Neumaier's compensation: the error stays at a few ulps of the result
 * however many terms are added, which keeps long incremental estimates close to the O(M) form.
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
    const t = this.sum + x;
    if (Math.abs(this.sum) >= Math.abs(x)) this.compensation += this.sum - t + x;
    else this.compensation += x - t + this.sum;
    this.sum = t;
  }

  reset(): void {
    this.sum = 0;
    this.compensation = 0;
  }
}
