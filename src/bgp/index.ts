export * from './errors.js';
export * from './fsm.js';
export * from './open-negotiation.js';
export * from './wire/index.js';
