import { InputError, type OptionNaming } from '../errors.js';

/** Throws unless `clip` is a clip fraction in [0, 1). */
export function checkClip(clip: number, argument = 'clip'): void {
  if (!(clip >= 0 && clip < 1)) throw new InputError({ argument, expected: 'a clip fraction in [0, 1)', received: clip });
}

/**
 * Throws unless `clip` lets every remaining item be drawn, as LURE and the confidence sequences
 * need: above 0, except that random labelling ignores it and the paper's numerics keep its clip 0
 * (`referenceNumerics`: whether they are asked for; absent where they do not exist, as in sessions).
 * A negative clip is refused everywhere.
 *
 * @example
 * checkProposalClip(0.1, { randomLabelling: false }); // passes
 * checkProposalClip(0, { randomLabelling: false, referenceNumerics: true }); // passes
 * checkProposalClip(-0.1, { randomLabelling: true }); // InputError: clip: expected a clip fraction in (0, 1): …
 * @throws InputError naming `argument` when the clip is not allowed.
 */
export function checkProposalClip(
  clip: number,
  options: { randomLabelling: boolean; referenceNumerics?: boolean },
  argument = 'clip',
): void {
  const { randomLabelling, referenceNumerics } = options;
  if (clip > 0 || (clip === 0 && (randomLabelling || referenceNumerics === true))) return;
  const hint = (naming: OptionNaming) =>
    referenceNumerics === undefined ? '' : ` (0 only under ${naming.setting('numerics', 'reference')})`;
  throw new InputError({
    argument,
    expected: (naming) => `a clip fraction in (0, 1)${hint(naming)}: every item needs a proposal probability above 0`,
    received: clip,
  });
}

/**
 * The clip a proposal is drawn with: 0 for random labelling under the default numerics, whatever
 * clip was given, else the given one. Random labelling's values are all equal, so its proposal is
 * uniform at any clip, but the samplers still fold the floor clip/R into their sums and rejection
 * bounds, where it moves the last bits and with them the draws: at clip 0 iid draws the same items
 * for every clip given, in experiment grids, `simulate` and new sessions alike. The reference
 * numerics replay the published sampler, which reads the clip for random labelling too.
 *
 * @example
 * proposalClip('iid', 0.3); // 0
 * proposalClip('iid', 0.3, 'reference'); // 0.3
 * proposalClip('surrogate-ce', 0.3); // 0.3
 */
export function proposalClip(acquisition: string, clip: number, numerics: string = 'default'): number {
  return acquisition === 'iid' && numerics !== 'reference' ? 0 : clip;
}
