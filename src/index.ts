export * from './errors.js';
export * from './numerics.js';
export * from './random.js';
export * from './matrix.js';
