/** IKEv2 wire format: registries, header, payload codecs, message chain, SK{}, fragments, rules. */
export * from './constants.js';
export * from './header.js';
export * from './message.js';
export * from './fragment.js';
export * from './rules.js';
export * from './verify.js';
export * from './payloads/index.js';
