// ES module consumer (compiled with module nodenext, skipLibCheck false).
import { simulate, syntheticPool, toMatrix } from 'active-testing';
import { Acquisition, relativeError } from 'active-testing/reference';

const pool = syntheticPool({ poolSize: 100, seed: 0 });
// @ts-expect-error scores must be a matrix, not a string
await simulate({ modelScores: 'oops', surrogateScores: pool.surrogateScores, labels: pool.labels });
// @ts-expect-error labels must be numbers
await simulate({ modelScores: pool.modelScores, surrogateScores: pool.surrogateScores, labels: ['a', 'b'] });
// @ts-expect-error a matrix input needs a numeric shape
toMatrix({ data: [1, 2], shape: 'two' }, 'x');
export const used = [Acquisition, relativeError];
