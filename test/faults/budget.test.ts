import { expect, it } from 'vitest';
import { TOTAL_FAULTS } from './budget.js';

it('the session, journal and lock fault tests inject at least 100 faults', () => {
  expect(TOTAL_FAULTS).toBe(118);
});
