import type {
  ChildSaEvent,
  ChildSaInstaller,
  ChildSaParams,
  EspPath,
  SaCounters,
} from '../../src/ike/ports.js';

export type InstallerCall =
  | { readonly op: 'addInbound'; readonly tunnel: string; readonly spi: number }
  | { readonly op: 'setOutbound'; readonly tunnel: string; readonly spi: number }
  | {
      readonly op: 'delete';
      readonly tunnel: string;
      readonly spi: number;
      readonly direction: 'in' | 'out';
    }
  | { readonly op: 'updatePath'; readonly tunnel: string; readonly remotePort: number };

export interface TunnelSas {
  readonly inbound: Map<number, ChildSaParams>;
  outbound: ChildSaParams | null;
  path: EspPath | null;
}

/** A ChildSaInstaller that records every call and keeps the resulting SA state (mock_ipsec). */
export class RecordingInstaller implements ChildSaInstaller {
  readonly calls: InstallerCall[] = [];
  readonly tunnels = new Map<string, TunnelSas>();
  private readonly listeners: ((e: ChildSaEvent) => void)[] = [];
  private readonly counterMap = new Map<string, SaCounters>();

  private t(tunnel: string): TunnelSas {
    let s = this.tunnels.get(tunnel);
    if (!s) {
      s = { inbound: new Map(), outbound: null, path: null };
      this.tunnels.set(tunnel, s);
    }
    return s;
  }

  addInbound(tunnel: string, sa: ChildSaParams, path: EspPath): void {
    this.calls.push({ op: 'addInbound', tunnel, spi: sa.spi });
    const t = this.t(tunnel);
    t.inbound.set(sa.spi, sa);
    t.path = path;
  }

  setOutbound(tunnel: string, sa: ChildSaParams, path: EspPath): void {
    this.calls.push({ op: 'setOutbound', tunnel, spi: sa.spi });
    const t = this.t(tunnel);
    t.outbound = sa;
    t.path = path;
  }

  delete(tunnel: string, spi: number, direction: 'in' | 'out'): void {
    this.calls.push({ op: 'delete', tunnel, spi, direction });
    const t = this.t(tunnel);
    if (direction === 'in') t.inbound.delete(spi);
    else if (t.outbound?.spi === spi) t.outbound = null;
  }

  updatePath(tunnel: string, path: EspPath): void {
    this.calls.push({ op: 'updatePath', tunnel, remotePort: path.remote.port });
    this.t(tunnel).path = path;
  }

  counters(tunnel: string, spi: number, direction: 'in' | 'out'): SaCounters | null {
    return this.counterMap.get(`${tunnel}|${spi}|${direction}`) ?? null;
  }

  /** Test hook: set what `counters()` reports. */
  setCounters(tunnel: string, spi: number, direction: 'in' | 'out', c: SaCounters): void {
    this.counterMap.set(`${tunnel}|${spi}|${direction}`, c);
  }

  onEvent(listener: (event: ChildSaEvent) => void): void {
    this.listeners.push(listener);
  }

  /** Test hook: raise a soft/hard expire event as the data plane would. */
  fire(e: ChildSaEvent): void {
    for (const l of this.listeners) l(e);
  }

  outbound(tunnel: string): ChildSaParams | null {
    return this.tunnels.get(tunnel)?.outbound ?? null;
  }

  inboundSpis(tunnel: string): number[] {
    return [...(this.tunnels.get(tunnel)?.inbound.keys() ?? [])];
  }

  inbound(tunnel: string, spi: number): ChildSaParams | undefined {
    return this.tunnels.get(tunnel)?.inbound.get(spi);
  }
}
