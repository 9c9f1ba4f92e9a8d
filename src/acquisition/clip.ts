import { InputError } from '../errors.js';

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
  const hint = referenceNumerics === undefined ? '' : ' (0 only under the reference numerics)';
  throw new InputError({
    argument,
    expected: `a clip fraction in (0, 1)${hint}: every item needs a proposal probability above 0`,
    received: clip,
  });
}
