export * from './types.js';
export * from './as-path.js';
export * from './mp-nlri.js';
export * from './registry.js';
export * from './as4.js';
