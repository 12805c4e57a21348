/**
 * A part of the appliance the daemon runs: loopbacks now; tunnels, IKE, ESP and BGP later. The
 * daemon starts components in list order, applies reload diffs to each in the same order and
 * stops them in reverse order. A component undoes on `stop()` exactly what it did, so shutdown
 * leaves the host as it found it.
 */
import type { Registry } from 'prom-client';
import type { Config } from '../config/index.js';
import type { ComponentStatus, ViewRegistry } from '../mgmt/show/context.js';
import type { ConfigDiff } from './config-port.js';

export interface Component {
  /** Short stable name ("loopbacks", "ike", "bgp"): the status key and the log `mod`. */
  readonly name: string;
  /** Bring the component to the configured state. On failure it must undo its own partial work. */
  start(config: Config): Promise<void>;
  /**
   * Apply a reload: `diff` is the config module's change set from the running configuration to
   * `next`. Touch only what changed.
   */
  apply(diff: ConfigDiff, next: Config): Promise<void>;
  /** Undo everything this component created; must not throw for objects already gone. */
  stop(): Promise<void>;
  status(): ComponentStatus;
  /** Interfaces this component manages (for `show interfaces` and `nvad_interfaces_up`). */
  interfaces(): readonly string[];
  /** Publish read-only views for show commands (optional). */
  publishViews?(views: ViewRegistry): void;
  /** Register this component's Prometheus metrics on the daemon's registry (optional). */
  registerMetrics?(registry: Registry): void;
}
