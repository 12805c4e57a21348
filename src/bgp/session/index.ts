export * from './transport.js';
export * from './session.js';
export * from './originate.js';
export * from './speaker.js';
export * from './rib-sync.js';
