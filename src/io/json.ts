/** JSON with non-finite numbers as the strings "NaN", "Infinity", "-Infinity" (the oracle's convention), not null. */
export function toJson(value: unknown): string {
  return `${JSON.stringify(value, (_, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), 2)}\n`;
}
