// What the server and the browser page exchange (JSON). Type imports only, of pure modules: the
// page's bundle uses these types too.
import type { StopCause } from '../stopping.js';

/**
 * How long a tab of a browser counts as open after it was last heard from: the pages forget a tab
 * that stops saying it is there (on their broadcast channel) after as long, and the server a tab
 * that stops asking, when it tells whether a closing tab was the browser's last.
 */
export const TAB_FORGOTTEN_MS = 150_000;

/** The most tab ids a closing page names as open (`X-Open-Tabs`), and the server keeps per browser. */
export const MAX_OPEN_TABS = 64;

/**
 * A number of an estimate: null where there is none (before the first label in the estimate, when
 * every item was skipped, an interval too few labels bound), which the server holds as NaN or
 * ±Infinity and JSON sends as null.
 */
export type EstimateNumber = number | null;

/** The interval the page shows for the risk, and its name. */
export interface DisplayedInterval {
  lower: EstimateNumber;
  upper: EstimateNumber;
  /** Shown next to the interval, e.g. "95% confidence sequence (anytime-valid)". */
  name: string;
  /** What the interval guarantees, in words for the people labelling. */
  meaning: string;
  /** Set when the estimate lies outside the interval, to say which of the two to read. */
  note?: string;
}

/** An item as the page shows it. */
export interface PageItem {
  id: string;
  text: string;
  /** 0-based proposal number. */
  position: number;
}

/** One point of the estimate-against-labels plot. */
export interface PlotPoint {
  labels: number;
  value: number;
  /** Null while too few labels bound the interval (a bootstrap after one label): that point is not drawn. */
  lower: EstimateNumber;
  upper: EstimateNumber;
}

/** The shared state every page shows: the estimate, the progress toward the stopping rule, the plot. */
export interface PublicState {
  /** Increases with every change. */
  version: number;
  classes: readonly string[];
  loss: string;
  labels: number;
  recorded: number;
  skipped: number;
  pending: number;
  poolSize: number;
  risk: { value: EstimateNumber } & DisplayedInterval;
  accuracy: { value: EstimateNumber } & DisplayedInterval;
  /** With a comparison target, the paired difference in risk, target − comparison; null without one. */
  difference: ({ value: EstimateNumber } & DisplayedInterval) | null;
  /** With a comparison target, the comparison model's own risk and accuracy; null without one. */
  comparison: { risk: { value: EstimateNumber } & DisplayedInterval; accuracy: { value: EstimateNumber } & DisplayedInterval } | null;
  /**
   * Once the session stopped at its label budget (`--max-labels`), the accuracy's and the risk's
   * other 95% intervals, as `label` prints them: the fixed-budget interval (which holds at a label
   * count chosen before labelling) and the approximate bootstrap; null otherwise.
   */
  budgetIntervals: { accuracy: DisplayedInterval[]; risk: DisplayedInterval[] } | null;
  varianceRatio: EstimateNumber;
  /** The diagnostic's verdict on the ratio, with its own uncertainty: helping, hurting or no evidence yet. */
  varianceVerdict: 'helping' | 'hurting' | 'no evidence yet';
  equivalentRandomLabels: EstimateNumber;
  progress: { fraction: number; text: string };
  /** Whether the stopping rule holds (or the pool ran out): "you can stop". */
  done: boolean;
  /**
   * Why the session is done: every item of the pool labelled or skipped, the labels reaching
   * `--max-labels`, or the risk's interval narrowing to `--target-half-width`; null while not done.
   */
  doneBecause: StopCause | null;
  points: PlotPoint[];
  /**
   * The label count when this server started: `points` holds no estimate of an earlier count (the
   * estimates are not stored, so a restarted server starts the plot again from its first estimate).
   */
  plotStartedAt: number;
  /** The browsers that asked for an item or answered one within the lease (10 minutes by default). */
  annotators: number;
  /**
   * The proposal numbers (0-based) of the open items that keep recorded labels out of the estimate,
   * which covers the longest prefix of proposals all labelled or skipped; empty when no label waits.
   */
  waitingFor: number[];
}

/** What one annotator's page gets back from an action. */
export interface ClientView {
  state: PublicState;
  /** The item this annotator labels now; null when done or when every open item is with another annotator. */
  item: PageItem | null;
}
