/**
 * A readable setting name from its options.
 *
 * @example
 * settingName({ acquisition: 'surrogate-ce', estimator: 'lure', clip: 0.1 }); // 'surrogate-ce · LURE · clip 0.1'
 * settingName({ acquisition: 'iid', estimator: 'iid' });                      // 'Random (i.i.d.)'
 */
export function settingName(options: {
  acquisition: string;
  estimator: string;
  clip?: number | null;
  temperature?: number | 'calibrated' | null;
  defensive?: number | null;
  surrogate?: string | null;
}): string {
  const { acquisition, estimator, clip, temperature, defensive, surrogate } = options;
  if (acquisition === 'iid' && estimator === 'iid') return 'Random (i.i.d.)';
  const parts = [surrogate ? `${acquisition} (${surrogate})` : acquisition, estimator === 'ase' ? 'ASE' : estimator.toUpperCase()];
  if (acquisition !== 'iid' && clip !== undefined && clip !== null) parts.push(`clip ${clip}`);
  if (temperature !== undefined && temperature !== null) parts.push(`T ${temperature}`);
  if (defensive !== undefined && defensive !== null) parts.push(`defensive ${defensive}`);
  return parts.join(' · ');
}
