import { InputError, ReceivedKind } from '../errors.js';
import type { Matrix } from '../matrix.js';
import { BUILTIN_LOSS_NAMES, BUILTIN_LOSSES, type BuiltinLoss, type LossFunctions } from '../metrics/builtin-losses.js';
import { closestChoice, editDistance } from '../io/suggest.js';
import { lossLimitText, lossMagnitudeLimit, type LossBounds } from '../metrics/loss-bounds.js';

export type { BuiltinLoss } from '../metrics/builtin-losses.js';

/**
 * A loss supplied through the API: the loss of one item from the target's logits (length K)
 * and the true class. Its acquisition value is the surrogate's expected loss,
 * `Σ_k π_k · itemLoss(f, k)`. The name is stored in the session file; reopening the session
 * needs the same loss again. `scores` is a copy of the item's row (one array for the calls of one
 * item, refilled before each), its contents valid during the call only: a loss may work on it in
 * place.
 */
export interface CustomLoss {
  name: string;
  itemLoss(scores: Float64Array, label: number): number;
  /**
   * Optional per-item bounds `[lower, upper]` of the loss over every label the item could have,
   * from its target scores alone. Without them the session has no confidence sequence for this loss
   * (and `done({ targetHalfWidth })` refuses to run). `bounds: undefined` says a loss has none on
   * purpose (a method named nearly so is refused as a misspelling otherwise), so the type takes it.
   */
  bounds?: ((scores: Float64Array) => [number, number]) | undefined;
}

/** A session's loss: a built-in name or a custom loss. */
export type SessionLoss = BuiltinLoss | CustomLoss;

/** A loss with the two forms a session needs, and per-item bounds when a custom loss declares them. */
export type ResolvedLoss = LossFunctions & { bounds?(scores: Matrix): LossBounds };

function customLoss(loss: CustomLoss): ResolvedLoss {
  // A copy of the row, not a view of the session's scores: a loss that works on its argument in
  // place (a softmax over it) would otherwise change the target's stored scores, and every later
  // loss, proposal and replay read from them. One array per item, refilled before each of its
  // calls: a new array per call doubled the time of a surrogate-ce session's set-up (N·K calls),
  // and one array for every item would make a loss that caches by its argument (a WeakMap of
  // softmaxes) read the first item's cache for all.
  let buffer = new Float64Array(0);
  let bufferOf: { data: Float64Array; i: number } | undefined;
  const row = (scores: Matrix, i: number): Float64Array => {
    if (bufferOf?.data !== scores.data || bufferOf.i !== i) {
      buffer = new Float64Array(scores.cols);
      bufferOf = { data: scores.data, i };
    }
    buffer.set(scores.data.subarray(i * scores.cols, (i + 1) * scores.cols));
    return buffer;
  };
  const itemLoss = (scores: Matrix, i: number, label: number): number => {
    const value = loss.itemLoss(row(scores, i), label);
    if (!Number.isFinite(value)) {
      throw new InputError({ argument: `loss ${loss.name}`, expected: 'a finite loss', received: value, row: i });
    }
    return value;
  };
  const declared = loss.bounds;
  // By score array: a session checks the bounds before its proposal is planned, and reads them again for its sequences.
  const computed = new WeakMap<Float64Array, LossBounds>();
  return {
    id: `custom:${loss.name}`,
    ...(declared
      ? {
          bounds(scores: Matrix): LossBounds {
            const known = computed.get(scores.data);
            if (known !== undefined) return known;
            const lower = new Float64Array(scores.rows);
            const upper = new Float64Array(scores.rows);
            const limit = lossMagnitudeLimit(scores.rows);
            for (let i = 0; i < scores.rows; i++) {
              const pair = declared.call(loss, row(scores, i));
              // Exactly a pair: a longer array would be read as its first two entries, silently.
              const [a, b] = Array.isArray(pair) && pair.length === 2 ? pair : [NaN, NaN];
              if (!(Number.isFinite(a) && Number.isFinite(b) && a <= b)) {
                throw new InputError({
                  argument: `loss ${loss.name} bounds`,
                  expected: 'finite [lower, upper] with lower ≤ upper',
                  received: pair,
                  row: i,
                });
              }
              // Past it the estimators' sums of squares overflow: intervals of ±∞ or NaN.
              if (!(Math.abs(a) <= limit && Math.abs(b) <= limit)) {
                throw new InputError({
                  argument: `loss ${loss.name} bounds`,
                  expected: `bounds at most ${lossLimitText(scores.rows)} in magnitude`,
                  received: pair,
                  row: i,
                });
              }
              lower[i] = a;
              upper[i] = b;
            }
            const bounds = { lower, upper };
            computed.set(scores.data, bounds);
            return bounds;
          },
        }
      : {}),
    perItem(scores, labels) {
      const out = new Float64Array(scores.rows);
      for (let i = 0; i < scores.rows; i++) out[i] = itemLoss(scores, i, labels[i] as number);
      return out;
    },
    expected(scores, probabilities) {
      const out = new Float64Array(scores.rows);
      for (let i = 0; i < scores.rows; i++) {
        let total = 0;
        for (let k = 0; k < scores.cols; k++) total += (probabilities.data[i * scores.cols + k] as number) * itemLoss(scores, i, k);
        out[i] = total;
      }
      return out;
    },
  };
}

/** Names a loss's `bounds` is given under by mistake, lower-cased, beside a letter off `bounds` itself. */
const BOUNDS_MISNAMED = ['lossbounds', 'itembounds', 'getbounds'];

/**
 * Throws when a custom loss without `bounds` has a method named nearly so (`bound`, `Bounds`,
 * `bonds`, `lossBounds`), its own or inherited: read as "no bounds", the loss would silently lose
 * its confidence sequence, and `done({ targetHalfWidth })` would refuse with no word of the
 * misspelling. A loss that says `bounds: undefined` has none on purpose; a helper named otherwise
 * (`upperBound`, `rounds`) is the loss's own business. Getters are not called.
 */
function checkNoMisspeltBounds(loss: CustomLoss): void {
  if ('bounds' in loss) return;
  for (
    let object: object | null = loss;
    object !== null && object !== Object.prototype;
    object = Object.getPrototypeOf(object) as object | null
  ) {
    for (const key of Object.getOwnPropertyNames(object)) {
      const lower = key.toLowerCase();
      const misnamed = BOUNDS_MISNAMED.includes(lower) || (lower.startsWith('b') && editDistance(lower, 'bounds') <= 1);
      if (!misnamed || typeof Object.getOwnPropertyDescriptor(object, key)?.value !== 'function') continue;
      throw new InputError({
        argument: `loss ${loss.name}.${key}`,
        expected: 'the per-item bounds under the name bounds (did you mean bounds?), or bounds: undefined for none',
      });
    }
  }
}

/**
 * Throws naming the part at fault of an object meant as a custom loss (it has a `name` or an
 * `itemLoss`) whose name is not a non-empty string or whose `itemLoss` is not a function. Refused
 * as an unknown loss, it would be quoted as JSON, which leaves functions out: `{ name: '', itemLoss }`
 * read as `got {"name":""}`, as if `itemLoss` were what was missing.
 */
function checkCustomLossParts(loss: unknown, argument: string): void {
  if (typeof loss !== 'object' || loss === null || !('name' in loss || 'itemLoss' in loss)) return;
  const { name, itemLoss } = loss as { name?: unknown; itemLoss?: unknown };
  if (typeof name !== 'string' || name === '')
    throw new InputError({
      argument: `${argument}.name`,
      expected: 'a non-empty string naming the custom loss',
      received: ReceivedKind.given(name),
    });
  if (typeof itemLoss !== 'function')
    throw new InputError({
      argument: `${argument} ${name}.itemLoss`,
      expected: 'a function (scores, label) => loss',
      received: ReceivedKind.given(itemLoss),
    });
}

/** Resolves a loss option; `argument` names it in errors. */
export function resolveLoss(loss: SessionLoss, argument = 'loss'): ResolvedLoss {
  checkCustomLossParts(loss, argument);
  if (
    typeof loss === 'object' &&
    loss !== null &&
    typeof loss.itemLoss === 'function' &&
    typeof loss.name === 'string' &&
    loss.name !== ''
  ) {
    // Checked here, before any work: a `bounds` that is not a function would fail deep inside
    // the session's set-up as a TypeError.
    const bounds: unknown = loss.bounds;
    if (bounds !== undefined && typeof bounds !== 'function') {
      throw new InputError({
        argument: `loss ${loss.name} bounds`,
        expected: 'a function (scores) => [lower, upper], or no bounds',
        received: bounds,
      });
    }
    if (bounds === undefined) checkNoMisspeltBounds(loss);
    return customLoss(loss);
  }
  if (typeof loss === 'string' && loss in BUILTIN_LOSSES) return BUILTIN_LOSSES[loss as BuiltinLoss];
  // Worded as the option schema words a choice (simulate, grids, the command line), with the custom form.
  const closest = typeof loss === 'string' ? closestChoice(loss, BUILTIN_LOSS_NAMES) : undefined;
  const hint = closest === undefined ? '' : ` (did you mean ${closest}?)`;
  throw new InputError({
    argument,
    expected: `one of ${BUILTIN_LOSS_NAMES.join(' | ')}${hint}, or a custom loss { name, itemLoss }`,
    received: ReceivedKind.given(loss),
  });
}

/**
 * How errors name a resolved loss: `loss cross-entropy`, or `loss sq` for the custom loss named
 * `sq`, as the checks of a custom loss's own values name it (its stored id is `custom:sq`).
 *
 * @example
 * lossArgument(resolveLoss('brier')); // 'loss brier'
 */
export function lossArgument(loss: ResolvedLoss): string {
  return `loss ${loss.id.startsWith('custom:') ? loss.id.slice('custom:'.length) : loss.id}`;
}

/** The zero-one loss, through which sessions report accuracy. */
export const ZERO_ONE: ResolvedLoss = BUILTIN_LOSSES['zero-one'];

/**
 * The loss of a session file reopened from `path`: a built-in loss by its stored id, or the custom
 * loss passed to `open`, which must carry the stored name. A loss passed for a session of a
 * built-in loss must be that loss's name: any other would be ignored, the session estimating the
 * loss it was created with under the name of another.
 *
 * @example
 * restoreLoss('brier', undefined, 'a.session'); // the Brier loss
 * restoreLoss('brier', 'zero-one', 'a.session'); // InputError: loss: expected the loss brier that a.session was created with ...
 * @throws {InputError} when the file was created with a custom loss and `given` is not that loss
 * (its name alone included), or with a built-in loss and `given` is another loss (null counts as
 * left out).
 */
export function restoreLoss(id: string, given: CustomLoss | undefined, path: string): ResolvedLoss {
  // `given` comes from JavaScript callers too: a built-in loss's name, or anything else.
  const passed: unknown = given;
  const received =
    typeof passed === 'object' && passed !== null && typeof (passed as { name?: unknown }).name === 'string'
      ? new ReceivedKind(`the custom loss "${(passed as CustomLoss).name}"`)
      : passed;
  if (!id.startsWith('custom:')) {
    if (passed !== undefined && passed !== null && passed !== id) {
      throw new InputError({
        argument: 'loss',
        expected: `the loss ${id} that ${path} was created with (a built-in loss is restored by name: leave loss out)`,
        received,
      });
    }
    return resolveLoss(id as SessionLoss);
  }
  const name = id.slice('custom:'.length);
  if (!given || typeof passed !== 'object' || given.name !== name) {
    throw new InputError({
      argument: 'loss',
      expected: `the custom loss "${name}" that ${path} was created with${
        passed === name
          ? ' (the loss object, with its itemLoss: its name alone cannot score)'
          : passed === undefined || passed === null
            ? // The command line (label, serve) opens without a loss and names this `--loss`, which takes built-in names only.
              ': its loss object, passed to ActiveTestingSession.open(path, { loss }) (a session of a custom loss cannot be reopened from the command line)'
            : ''
      }`,
      received,
    });
  }
  return resolveLoss(given);
}
