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

/**
 * A typed token naming an operator action: a state-changing API call (`clear ip bgp`), the
 * counterpart of {@link ViewKey}. The component that can do it provides the handler, the API
 * server looks it up by key:
 *
 *   export const CLEAR_IP_BGP = actionKey<ClearBgpRequest, ClearBgpDto>('clear ip bgp');
 *   actionsOf(views).provide(CLEAR_IP_BGP, (req) => bgp.clear(req));   // in publishViews
 *   const run = ctx.view(ACTIONS_VIEW)?.get(CLEAR_IP_BGP);              // in the API server
 */
export interface ActionKey<Req, Res> {
  readonly id: string;
  /** Phantom members carrying the request and answer types; never set. */
  readonly _req?: Req;
  readonly _res?: Res;
}

export function actionKey<Req, Res>(id: string): ActionKey<Req, Res> {
  return { id };
}

/** An action handler; `undefined` means "no such object" (the API answers 404). */
export type Action<Req, Res> = (req: Req) => Res | undefined | Promise<Res | undefined>;

/** Registry of operator actions, filled by the components (symmetrical to {@link ViewRegistry}). */
export class ActionRegistry {
  private readonly actions = new Map<string, unknown>();

  provide<Req, Res>(key: ActionKey<Req, Res>, action: Action<Req, Res>): void {
    this.actions.set(key.id, action);
  }

  get<Req, Res>(key: ActionKey<Req, Res>): Action<Req, Res> | undefined {
    return this.actions.get(key.id) as Action<Req, Res> | undefined;
  }
}

/**
 * The action registry travels as a view, so components publish actions from `publishViews` and
 * the API server finds them through its {@link ShowContext} without further wiring.
 */
export const ACTIONS_VIEW = viewKey<ActionRegistry>('actions');

/** The action registry of `views`, created on first use. */
export function actionsOf(views: ViewRegistry): ActionRegistry {
  let a = views.get(ACTIONS_VIEW);
  if (!a) {
    a = new ActionRegistry();
    views.provide(ACTIONS_VIEW, a);
  }
  return a;
}
