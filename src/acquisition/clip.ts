import { InputError } from '../errors.js';

/** Throws unless `clip` is a clip fraction in [0, 1). */
export function checkClip(clip: number, argument = 'clip'): void {
  if (!(clip >= 0 && clip < 1)) throw new InputError({ argument, expected: 'a clip fraction in [0, 1)', received: clip });
}
