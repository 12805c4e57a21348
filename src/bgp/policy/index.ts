export * from './prefix-list.js';
export * from './route-map.js';
export * from './as-path-regex.js';
export * from './community.js';
export * from './max-prefixes.js';
export * from './policy-set.js';
