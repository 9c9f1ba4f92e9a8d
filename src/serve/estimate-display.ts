// How the page shows an estimate. Pure imports only: the page's bundle uses it too.

import { formatCount } from '../io/format-count.js';
import { DEFAULT_MIN_LABELS } from '../stopping.js';

/** The values a quantity can take. */
export interface ValueRange {
  lower: number;
  upper: number;
}

/** An accuracy lies in [0, 1]. */
export const ACCURACY_RANGE: ValueRange = { lower: 0, upper: 1 };

/**
 * The values a mean loss can take: from 0 to the loss's maximum for the built-in losses (the
 * zero-one loss's 1, the Brier score's 2, none for the cross-entropy); unknown for a custom loss,
 * which may be negative.
 *
 * @example
 * riskRange('brier'); // { lower: 0, upper: 2 }
 */
export function riskRange(loss: string): ValueRange {
  switch (loss) {
    case 'zero-one':
      return { lower: 0, upper: 1 };
    case 'brier':
      return { lower: 0, upper: 2 };
    case 'cross-entropy':
      return { lower: 0, upper: Infinity };
    default:
      return { lower: -Infinity, upper: Infinity };
  }
}

/**
 * The values a difference of two quantities in `range` can take.
 *
 * @example
 * differenceRange(riskRange('zero-one')); // { lower: -1, upper: 1 }
 */
export function differenceRange(range: ValueRange): ValueRange {
  return { lower: range.lower - range.upper, upper: range.upper - range.lower };
}

/** A value as `label` prints it (4 decimals), so that the page and the command line read alike; '–' for none. */
export function decimals(value: number | null): string {
  return value === null || !Number.isFinite(value) ? '–' : value.toFixed(4);
}

/** `value` moved into `range`, null kept. */
export function withinRange(value: number | null, range: ValueRange): number | null {
  return value === null ? null : Math.min(range.upper, Math.max(range.lower, value));
}

/**
 * An interval's ends as the page and `label` show them, moved into `range`: "[lower, upper]" while
 * either is known ("–" for one that is not: NaN or infinite, as live numbers, or null, as JSON
 * sends them, so that both read alike), and in words while neither is (a bracket of dashes reads
 * as a fault): before the first label (`labels`, those in the estimate, 0), while one label cannot
 * bound it (a bootstrap), and "unbounded" after that.
 *
 * @example
 * intervalEnds({ lower: 0.1, upper: 0.3 }, ACCURACY_RANGE, 40); // '[0.1000, 0.3000]'
 * intervalEnds({ lower: 0.1, upper: Infinity }, ACCURACY_RANGE, 40); // '[0.1000, –]'
 * intervalEnds({ lower: null, upper: null }, ACCURACY_RANGE, 0); // 'no labels yet'
 * intervalEnds({ lower: NaN, upper: NaN }, ACCURACY_RANGE, 1); // 'not enough labels yet'
 */
export function intervalEnds(interval: { lower: number | null; upper: number | null }, range: ValueRange, labels: number): string {
  const known = (end: number | null): number | null => (end !== null && Number.isFinite(end) ? withinRange(end, range) : null);
  const lower = known(interval.lower);
  const upper = known(interval.upper);
  if (lower === null && upper === null) return labels === 0 ? 'no labels yet' : labels === 1 ? 'not enough labels yet' : 'unbounded';
  return `[${decimals(lower)}, ${decimals(upper)}]`;
}

/**
 * An interval as the page shows it: its name, then its ends (`intervalEnds`).
 *
 * @example
 * intervalText({ name: '95% confidence sequence (anytime-valid)', lower: 0.1, upper: 0.3 }, ACCURACY_RANGE, 40); // '95% confidence sequence (anytime-valid): [0.1000, 0.3000]'
 * intervalText({ name: '95% confidence sequence (anytime-valid)', lower: null, upper: null }, ACCURACY_RANGE, 0); // '95% confidence sequence (anytime-valid): no labels yet'
 */
export function intervalText(
  interval: { name: string; lower: number | null; upper: number | null },
  range: ValueRange,
  labels: number,
): string {
  return `${interval.name}: ${intervalEnds(interval, range, labels)}`;
}

/** An estimate as the page shows it: its text, and a note that says why it differs from the estimate, or ''. */
export interface ShownEstimate {
  text: string;
  note: string;
}

/**
 * The text of an estimate of a quantity that lies in `range` (`what` names it: "an accuracy", "the
 * zero-one risk"). LURE is unbiased, not bounded: with few labels one drawn with a small proposal
 * probability weighs heavily, and the estimate can lie far outside the values the quantity can
 * take (an accuracy of -2.4 after one label). Such a number reads as a bug, and the quantity is
 * known to lie in its range, so the page shows the nearest value of the range and a note with the
 * estimate itself; the session's estimate is unchanged. A difference that 4 decimals do not show
 * (rounding's -1e-17) gets no note.
 *
 * @example
 * shownEstimate(-2.4189, ACCURACY_RANGE, 'an accuracy').text; // '0.0000', with a note giving -2.4189
 * shownEstimate(0.8123, ACCURACY_RANGE, 'an accuracy'); // { text: '0.8123', note: '' }
 */
export function shownEstimate(value: number | null, range: ValueRange, what: string): ShownEstimate {
  const text = decimals(withinRange(value, range));
  if (value === null || !Number.isFinite(value) || Number(text) === Number(value.toFixed(4))) return { text, note: '' };
  const where = value < range.lower ? `below ${range.lower}, the least ${what} can be` : `above ${range.upper}, the most ${what} can be`;
  return {
    text,
    note:
      `The estimate is ${decimals(value)}, ${where}: with few labels, an item drawn with a small probability ` +
      `weighs heavily in it (it is unbiased, not bounded). Shown as ${text}; read the interval.`,
  };
}

/**
 * What the page shows in place of the plot, which needs estimates with a finite interval at two
 * label counts (`plotted` of them so far; an estimate whose interval is not finite yet, such as a
 * bootstrap after one label, is not drawn). Those of earlier counts are not stored, so a server
 * started on a session with labels (`startedAt` of them, the state's `plotStartedAt`) plots from
 * its first estimate: a session with 90 labels then waits for one more label, not for "two labels".
 * A session that is `done` gets no more labels, so the page says why there is no plot instead.
 *
 * @example
 * plotPlaceholder(0, 0, 0, false); // 'The plot of the estimate and its interval appears after two labels.'
 * plotPlaceholder(1, 1, 0, false); // 'The plot of the estimate and its interval appears after the next label.'
 * plotPlaceholder(1, 1, 0, true); // 'No plot: the session ended with one estimate to draw.'
 */
export function plotPlaceholder(labels: number, plotted: number, startedAt: number, done: boolean): string {
  // Started after one label, the plot has lost nothing.
  const lost = startedAt >= 2;
  if (done) {
    const since = lost ? ' since the server started (the estimates at earlier label counts are not stored)' : '';
    return `No plot: the session ended with ${plotted === 0 ? 'no estimate' : 'one estimate'} to draw${since}.`;
  }
  const plot = 'The plot of the estimate and its interval appears after';
  const wait = plotted >= 1 ? 'the next label' : labels === 0 ? 'two labels' : 'two more labels';
  if (!lost) return `${plot} ${wait}.`;
  return `${plot} ${wait}: it starts again from the current estimate when the server restarts (the estimates at earlier label counts are not stored).`;
}

/**
 * The items the estimate covers, as the page and `label` say it: skipped items leave the pool, so
 * the pool's size alone ("pool 388" for 400 items with 12 skipped) reads as a count from nowhere.
 * `covered` is the estimate's `poolSize`, the pool less the skipped items.
 *
 * @example
 * coveredItems(388, 12); // '388 of 400 items (12 skipped)'
 * coveredItems(400, 0); // '400 items'
 */
export function coveredItems(covered: number, skipped: number): string {
  if (skipped === 0) return formatCount(covered, 'item');
  return `${covered} of ${formatCount(covered + skipped, 'item')} (${skipped} skipped)`;
}

/**
 * The caption under the plot of `points` plotted estimates whose band is the `intervalName`, or
 * null while there is no plot (fewer than two points): a caption of a line and a band that are not
 * drawn puzzles.
 *
 * @example
 * plotCaption('95% confidence sequence (anytime-valid)', 3); // 'Solid line: the estimated risk; band between the dashed lines: its 95% confidence sequence (anytime-valid), against the number of labels.'
 * plotCaption('95% confidence sequence (anytime-valid)', 1); // null: the page shows plotPlaceholder's text instead
 */
export function plotCaption(intervalName: string, points: number): string | null {
  return points < 2
    ? null
    : `Solid line: the estimated risk; band between the dashed lines: its ${intervalName}, against the number of labels.`;
}

/** What `progress` reads of a session's estimate (`SessionEstimate`, which the page's bundle cannot import). */
export interface ProgressEstimate {
  labels: number;
  /** Labels recorded: more than `labels` while an earlier item is open (the estimate waits for it). */
  recorded: number;
  poolSize: number;
  risk: { anytime?: { lower: number; upper: number } };
}

/** What `progress` reads of a stopping rule (`StoppingRule`). */
export interface ProgressRule {
  maxLabels?: number;
  minLabels?: number;
  targetHalfWidth?: number;
}

/**
 * How far the session is toward its stopping rule, as a fraction in [0, 1] and in words; a width
 * target is measured on the risk's confidence sequence, which `done()` stops on. The page's
 * progress bar and `label`'s terminal screen show it. The rule counts the labels in the estimate,
 * which waits for an earlier open item (one a closed page holds until its lease ends), so while
 * more are recorded the text says so too: a count that stays put while labels are saved reads as
 * a frozen page.
 *
 * @example
 * progress({ labels: 3, recorded: 6, poolSize: 2000, risk: {} }, { maxLabels: 40 }).text; // '3 of 40 labels in the estimate (6 recorded)'
 */
export function progress(estimate: ProgressEstimate, rule: ProgressRule): { fraction: number; text: string } {
  const { labels, recorded, poolSize } = estimate;
  const waiting = recorded !== labels;
  const parts: { fraction: number; text: string }[] = [];
  if (rule.maxLabels !== undefined)
    parts.push({
      fraction: labels / rule.maxLabels,
      text: `${labels} of ${formatCount(rule.maxLabels, 'label')}${waiting ? ` in the estimate (${recorded} recorded)` : ''}`,
    });
  if (rule.targetHalfWidth !== undefined) {
    const minLabels = rule.minLabels ?? DEFAULT_MIN_LABELS;
    // The rule reads the confidence sequence (`done()`), so the progress does too.
    const anytime = estimate.risk.anytime;
    const halfWidth = anytime === undefined ? NaN : (anytime.upper - anytime.lower) / 2;
    // The half-width shrinks about like 1/√labels, so (target ÷ half-width)² is the share of the labels needed.
    const widthShare = halfWidth > 0 ? (rule.targetHalfWidth / halfWidth) ** 2 : labels > 0 ? 1 : 0;
    const fraction = Math.min(labels / minLabels, widthShare);
    const width = Number.isFinite(halfWidth) ? halfWidth.toFixed(4) : '–';
    parts.push({ fraction, text: `risk half-width ${width}, target ${rule.targetHalfWidth} (from ${formatCount(minLabels, 'label')})` });
  }
  if (parts.length === 0)
    return {
      fraction: Math.min(1, labels / poolSize),
      text: waiting
        ? `${labels} of ${formatCount(poolSize, 'item')} in the estimate (${recorded} recorded; no stopping rule given)`
        : `${labels} of ${formatCount(poolSize, 'item')} labelled (no stopping rule given)`,
    };
  const best = parts.reduce((a, b) => (b.fraction > a.fraction ? b : a));
  // The budget's part names both counts; a width target alone names neither.
  if (waiting && rule.maxLabels === undefined)
    parts.push({ fraction: 0, text: `${formatCount(labels, 'label')} in the estimate (${recorded} recorded)` });
  return { fraction: Math.min(1, Math.max(0, best.fraction)), text: parts.map((p) => p.text).join(' · ') };
}

/**
 * What the page says the answers are for, and when the annotator may stop: with a stopping rule,
 * what it waits for (the page says when it holds); without one, that they may stop whenever they
 * like, and whether the interval shown stays valid then. `anytimeName` is the name of the interval
 * shown when it is the anytime-valid sequence, null when it is an approximate one.
 *
 * @example
 * purposeText({}, '95% confidence sequence (anytime-valid)'); // "Your answers estimate the model's accuracy and risk on this pool of items, shown beside the item as they come in. No stopping rule was given, so you may stop at any time: the interval shown, a 95% confidence sequence (anytime-valid), stays valid whenever you stop."
 * purposeText({ maxLabels: 40 }, '95% confidence sequence (anytime-valid)'); // "Your answers estimate the model's accuracy and risk on this pool of items, shown beside the item as they come in. Labelling stops after 40 labels (--max-labels); the page says when."
 */
export function purposeText(rule: ProgressRule, anytimeName: string | null): string {
  const purpose = "Your answers estimate the model's accuracy and risk on this pool of items, shown beside the item as they come in.";
  const stops: string[] = [];
  if (rule.maxLabels !== undefined) stops.push(`after ${formatCount(rule.maxLabels, 'label')} (--max-labels)`);
  if (rule.targetHalfWidth !== undefined)
    stops.push(`once the risk's interval is as narrow as its target, ${rule.targetHalfWidth} either side (--target-half-width)`);
  if (stops.length > 0) return `${purpose} Labelling stops ${stops.join(', or ')}; the page says when.`;
  const valid =
    anytimeName === null
      ? 'the interval shown is approximate, and less reliable when you stop because of what it shows'
      : `the interval shown, a ${anytimeName}, stays valid whenever you stop`;
  return `${purpose} No stopping rule was given, so you may stop at any time: ${valid}.`;
}
