import { MAX_PROBABILITY } from '../estimators/risk-estimator.js';

/** One journal record after the header: a proposal, a label, a skip, or an undo of the last label or skip. */
export type JournalRecord =
  | { e: 'propose'; i: number; q: number }
  | { e: 'label'; i: number; y: number; f?: number[]; a?: string }
  | { e: 'skip'; i: number; a?: string }
  | { e: 'undo'; i: number };

const KINDS: readonly string[] = ['propose', 'label', 'skip', 'undo'];

/** The longest annotator name a label or skip may carry. */
export const MAX_ANNOTATOR_LENGTH = 200;

/**
 * Checks one journal record's fields (types and ranges) before it is replayed, for a pool of `n`
 * items and `k` classes; `sequence` is the number it must carry, which only files written before
 * sequence numbers may leave out (`numbered` false: their header has no checksum either). `fail`
 * throws with the reason.
 *
 * @example
 * checkRecord({ s: 1, e: 'propose', i: 3, q: 0.02 }, 1, true, 100, 2, (reason) => { throw new Error(reason); }); // { e: 'propose', i: 3, q: 0.02, s: 1 }
 */
export function checkRecord(
  value: Record<string, unknown>,
  sequence: number,
  numbered: boolean,
  n: number,
  k: number,
  fail: (reason: string) => never,
): JournalRecord {
  const { e, i, s } = value;
  if (s === undefined && numbered) fail(`record without its sequence number "s" (${sequence} was expected)`);
  if (s !== undefined && s !== sequence)
    fail(`record number ${String(s)} where ${sequence} was expected (records are missing, repeated or out of order)`);
  if (typeof e !== 'string' || !KINDS.includes(e)) fail(`unknown record kind ${JSON.stringify(e) ?? 'undefined'}`);
  if (!(Number.isInteger(i) && (i as number) >= 0 && (i as number) < n))
    fail(`item ${JSON.stringify(i) ?? 'undefined'} is not a pool row in [0, ${n - 1}]`);
  if (e === 'propose') {
    const q = value.q;
    if (!(typeof q === 'number' && q > 0 && q <= MAX_PROBABILITY))
      fail(`proposal probability ${JSON.stringify(q) ?? 'undefined'} is not in (0, 1]`);
  }
  if (e === 'label') {
    const { y, f } = value;
    if (!(Number.isInteger(y) && (y as number) >= 0 && (y as number) < k))
      fail(`label ${JSON.stringify(y) ?? 'undefined'} is not a class index in [0, ${k - 1}]`);
    if (f !== undefined && !(Array.isArray(f) && f.length === k && f.every((x) => typeof x === 'number' && Number.isFinite(x))))
      fail(`target scores are not ${k} finite numbers`);
  }
  if ((e === 'label' || e === 'skip') && value.a !== undefined && !isAnnotator(value.a))
    fail(`annotator ${JSON.stringify(value.a) ?? 'undefined'} is not a name of 1 to ${MAX_ANNOTATOR_LENGTH} characters`);
  return value as unknown as JournalRecord;
}

/** Whether `value` can name who labelled an item: a string of 1 to `MAX_ANNOTATOR_LENGTH` characters. */
export function isAnnotator(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_ANNOTATOR_LENGTH;
}
