/**
 * Public surface of the tunnel module: TUN devices, VTI-like tunnel interfaces whose line
 * protocol follows the data plane, and the SA ledger in front of the data path. The daemon
 * component that wires them to the configuration is `src/daemon/tunnels.ts`.
 */
export { TunDevice } from './tun-device.js';
export type { TunOpenOptions } from './tun-device.js';
export { TunnelInterface, openTunDevice } from './tunnel-interface.js';
export type { TunLike, TunOpener, TunnelInterfaceSpec } from './tunnel-interface.js';
export { SaLedger } from './tunnels.js';
export type { LedgerSa, LedgerTunnel } from './tunnels.js';
