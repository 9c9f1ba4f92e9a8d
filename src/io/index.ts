export * from './npy.js';
export * from './atomic.js';
export * from './json.js';
