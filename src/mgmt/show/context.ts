/**
 * What a show command may read. Everything here is a read-only view; the composition root
 * (src/main.ts) builds the context from the running parts. Later modules publish their own query
 * interfaces through typed view keys, so a new show command needs no change to this file:
 *
 *   export const IKE_VIEW = viewKey<IkeQuery>('ike');        // in the show command's module
 *   views.provide(IKE_VIEW, ikeManager);                     // in src/main.ts
 *   const ike = ctx.view(IKE_VIEW);                          // in collect()
 */
import type { AddressInfo, LinkInfo } from '../../kernel/port.js';

/** A typed token naming a read-only view a component publishes for show commands. */
export interface ViewKey<T> {
  readonly id: string;
  /** Phantom member carrying the view's type; never set. */
  readonly _type?: T;
}

export function viewKey<T>(id: string): ViewKey<T> {
  return { id };
}

/** Registry of published views, filled by the composition root. */
export class ViewRegistry {
  private readonly views = new Map<string, unknown>();

  provide<T>(key: ViewKey<T>, view: T): void {
    this.views.set(key.id, view);
  }

  get<T>(key: ViewKey<T>): T | undefined {
    return this.views.get(key.id) as T | undefined;
  }
}

/** Facts about the daemon process itself. */
export interface DaemonInfo {
  readonly nodeName: string;
  readonly version: string;
  readonly configFile: string;
  readonly pid: number;
  /** Wall-clock start time, ms since the epoch. */
  readonly startedAtMs: number;
  /** Seconds since start (monotonic). */
  uptimeSec(): number;
}

export type ComponentState = 'stopped' | 'starting' | 'running' | 'degraded' | 'failed';

export interface ComponentStatus {
  readonly name: string;
  readonly state: ComponentState;
  /** One human-readable line, e.g. "2 loopback addresses". Never holds secrets. */
  readonly detail: string;
}

/** The kernel queries show commands may use (no mutating calls). */
export interface KernelView {
  listLinks(): Promise<LinkInfo[]>;
  listAddresses(ifname?: string): Promise<AddressInfo[]>;
}

export interface ShowContext {
  readonly daemon: DaemonInfo;
  readonly kernel: KernelView;
  /** The running configuration as redacted YAML (secrets are `<redacted>`). */
  runningConfig(): string;
  /** Wall-clock ms of the last successful (re)load of the configuration. */
  configLoadedAtMs(): number;
  /** Names of the interfaces the daemon manages (lo when it owns loopbacks, tunnels later). */
  managedInterfaces(): readonly string[];
  components(): readonly ComponentStatus[];
  view<T>(key: ViewKey<T>): T | undefined;
}
