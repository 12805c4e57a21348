/** IKEv2 control plane: SA manager, events and read-only snapshots. */
export { IkeSaManager, IKE_PORT, tunnelSpecFromConfig } from './ike-sa-manager.js';
export type { IkeSaManagerDeps, IkeSaManagerOptions, TunnelSpec } from './ike-sa-manager.js';
export type { ChildSaSnapshot, IkeSaSnapshot } from './ike-sa-snapshot.js';
export type { IkeEvent, IkeEventType } from './sa/events.js';
export type { IkeSaState } from './sa/ike-sa.js';
export type { ChildSaState } from './sa/child-sa.js';
export type {
  ChildSaEvent,
  ChildSaInstaller,
  ChildSaParams,
  Endpoint,
  EspPath,
  IkeTransport,
  SaCounters,
} from './ports.js';
export { IkeNotifyError } from './errors.js';
