export * from './errors.js';
export * from './bytes/index.js';
export * from './ip/index.js';
export type { Clock, Timer } from './clock.js';
export type { Rng } from './rng.js';
export type { Logger } from './log.js';
