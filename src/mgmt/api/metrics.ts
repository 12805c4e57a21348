/**
 * The daemon's Prometheus registry: one per daemon (never prom-client's global one), holding the
 * default process metrics plus nvad's own. Later modules register their counters here too.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

export type ReloadResult = 'success' | 'failure';

export interface DaemonMetrics {
  readonly registry: Registry;
  readonly configReloads: Counter<'result'>;
}

export interface DaemonMetricsOptions {
  readonly version: string;
  /** Managed interfaces currently up (admin and line protocol); read at scrape time. */
  readonly interfacesUp: () => Promise<number>;
}

export function createDaemonMetrics(opts: DaemonMetricsOptions): DaemonMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const buildInfo = new Gauge({
    name: 'nvad_build_info',
    help: 'nvad build information; always 1',
    labelNames: ['version', 'node_version', 'openssl_version'] as const,
    registers: [registry],
  });
  buildInfo.set(
    {
      version: opts.version,
      node_version: process.version,
      openssl_version: process.versions.openssl,
    },
    1,
  );
  const configReloads = new Counter({
    name: 'nvad_config_reloads_total',
    help: 'Configuration reloads (SIGHUP) by result',
    labelNames: ['result'] as const,
    registers: [registry],
  });
  // Export both series from the start so rate() works before the first reload.
  configReloads.inc({ result: 'success' }, 0);
  configReloads.inc({ result: 'failure' }, 0);
  const interfacesUp = opts.interfacesUp;
  new Gauge({
    name: 'nvad_interfaces_up',
    help: 'Interfaces managed by nvad that are administratively and operationally up',
    registers: [registry],
    async collect() {
      this.set(await interfacesUp());
    },
  });
  return { registry, configReloads };
}

/** One tunnel's counters at scrape time (the tunnels component's `counterSamples()`). */
export interface TunnelMetricsSample {
  readonly tunnel: string;
  readonly up: boolean;
  readonly packetsIn: number;
  readonly packetsOut: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** Drops of the tunnel's SAs by reason (src/esp/drop-reason.ts names). */
  readonly drops: Readonly<Record<string, number>>;
}

export interface TunnelMetricsSource {
  counterSamples(): readonly TunnelMetricsSample[];
  /** Drops outside any tunnel (unknown SPI, malformed), by reason. */
  globalDrops(): Readonly<Record<string, number>>;
}

/**
 * Per-tunnel data-plane metrics, read from the source at scrape time:
 * `nvad_tunnel_packets_total{tunnel,direction}`, `nvad_tunnel_bytes_total{tunnel,direction}`,
 * `nvad_tunnel_drops_total{tunnel,reason}` (tunnel="" for drops outside any tunnel) and
 * `nvad_tunnel_up{tunnel}` (line protocol: 1 while an outbound child SA is installed).
 */
export function registerTunnelMetrics(registry: Registry, source: TunnelMetricsSource): void {
  new Counter({
    name: 'nvad_tunnel_packets_total',
    help: 'ESP packets per tunnel and direction (in: decrypted, out: encrypted)',
    labelNames: ['tunnel', 'direction'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const s of source.counterSamples()) {
        this.inc({ tunnel: s.tunnel, direction: 'in' }, s.packetsIn);
        this.inc({ tunnel: s.tunnel, direction: 'out' }, s.packetsOut);
      }
    },
  });
  new Counter({
    name: 'nvad_tunnel_bytes_total',
    help: 'Inner bytes per tunnel and direction',
    labelNames: ['tunnel', 'direction'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const s of source.counterSamples()) {
        this.inc({ tunnel: s.tunnel, direction: 'in' }, s.bytesIn);
        this.inc({ tunnel: s.tunnel, direction: 'out' }, s.bytesOut);
      }
    },
  });
  new Counter({
    name: 'nvad_tunnel_drops_total',
    help: 'Packets dropped by the data plane, per tunnel and reason (tunnel="" when unattributed)',
    labelNames: ['tunnel', 'reason'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const s of source.counterSamples()) {
        for (const [reason, n] of Object.entries(s.drops))
          this.inc({ tunnel: s.tunnel, reason }, n);
      }
      for (const [reason, n] of Object.entries(source.globalDrops())) {
        this.inc({ tunnel: '', reason }, n);
      }
    },
  });
  new Gauge({
    name: 'nvad_tunnel_up',
    help: 'Tunnel line protocol: 1 while an outbound child SA is installed',
    labelNames: ['tunnel'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const s of source.counterSamples()) this.set({ tunnel: s.tunnel }, s.up ? 1 : 0);
    },
  });
}

/** One BGP neighbor at scrape time (the BGP component's `metricSamples()`). */
export interface BgpNeighborMetricsSample {
  readonly neighbor: string;
  /** Routing context name ("default" for the global table). */
  readonly context: string;
  readonly up: boolean;
  readonly prefixesReceived: number;
  readonly prefixesAdvertised: number;
  readonly messagesIn: number;
  readonly messagesOut: number;
}

export interface BgpMetricsSource {
  metricSamples(): readonly BgpNeighborMetricsSample[];
}

/**
 * Per-neighbor BGP metrics, read at scrape time: `nvad_bgp_neighbor_up{neighbor,context}`
 * (1 while Established), `nvad_bgp_prefixes_received{…}`, `nvad_bgp_prefixes_advertised{…}` and
 * `nvad_bgp_messages_total{neighbor,context,direction}` (direction in|out).
 */
export function registerBgpMetrics(registry: Registry, source: BgpMetricsSource): void {
  const labelNames = ['neighbor', 'context'] as const;
  new Gauge({
    name: 'nvad_bgp_neighbor_up',
    help: 'BGP session state: 1 while Established',
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      for (const s of source.metricSamples())
        this.set({ neighbor: s.neighbor, context: s.context }, s.up ? 1 : 0);
    },
  });
  new Gauge({
    name: 'nvad_bgp_prefixes_received',
    help: 'Prefixes received from the neighbor (Adj-RIB-In, before import policy)',
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      for (const s of source.metricSamples())
        this.set({ neighbor: s.neighbor, context: s.context }, s.prefixesReceived);
    },
  });
  new Gauge({
    name: 'nvad_bgp_prefixes_advertised',
    help: 'Prefixes currently advertised to the neighbor',
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      for (const s of source.metricSamples())
        this.set({ neighbor: s.neighbor, context: s.context }, s.prefixesAdvertised);
    },
  });
  new Counter({
    name: 'nvad_bgp_messages_total',
    help: 'BGP messages per neighbor and direction (in: received, out: sent)',
    labelNames: ['neighbor', 'context', 'direction'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const s of source.metricSamples()) {
        this.inc({ neighbor: s.neighbor, context: s.context, direction: 'in' }, s.messagesIn);
        this.inc({ neighbor: s.neighbor, context: s.context, direction: 'out' }, s.messagesOut);
      }
    },
  });
}

export interface RoutingMetricsSource {
  /** Selected routes with a usable next hop, by source (connected, static, bgp). */
  installedRoutes(): Readonly<Record<string, number>>;
}

/** `nvad_routes_installed{source}`: routes the routing module selected and installed. */
export function registerRoutingMetrics(registry: Registry, source: RoutingMetricsSource): void {
  new Gauge({
    name: 'nvad_routes_installed',
    help: 'Routes selected by the routing module with a usable next hop, by source',
    labelNames: ['source'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [src, n] of Object.entries(source.installedRoutes())) this.set({ source: src }, n);
    },
  });
}

/** IKE counters at scrape time (the IKE component's `metricsSource()`). */
export interface IkeMetricsTotals {
  /** IKE exchanges initiated plus responded. */
  readonly exchanges: number;
  readonly retransmits: number;
  /** Failed exchanges by the notify type that ended them (e.g. NO_PROPOSAL_CHOSEN). */
  readonly failuresByNotify: Readonly<Record<string, number>>;
  readonly ikeRekeys: number;
  readonly childRekeys: number;
  readonly ikeSasUp: number;
}

export interface IkeMetricsSource {
  ikeTotals(): IkeMetricsTotals;
}

/**
 * IKE metrics, read at scrape time: `nvad_ike_exchanges_total`, `nvad_ike_retransmits_total`,
 * `nvad_ike_failures_total{notify}`, `nvad_ike_rekeys_total{kind="ike"|"child"}` and
 * `nvad_ike_sas_up`.
 */
export function registerIkeMetrics(registry: Registry, source: IkeMetricsSource): void {
  new Counter({
    name: 'nvad_ike_exchanges_total',
    help: 'IKE exchanges initiated or answered',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(source.ikeTotals().exchanges);
    },
  });
  new Counter({
    name: 'nvad_ike_retransmits_total',
    help: 'IKE request retransmissions',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(source.ikeTotals().retransmits);
    },
  });
  new Counter({
    name: 'nvad_ike_failures_total',
    help: 'Failed IKE exchanges by the notify type that ended them',
    labelNames: ['notify'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [notify, n] of Object.entries(source.ikeTotals().failuresByNotify))
        this.inc({ notify }, n);
    },
  });
  new Counter({
    name: 'nvad_ike_rekeys_total',
    help: 'Completed rekeys by kind (ike or child)',
    labelNames: ['kind'] as const,
    registers: [registry],
    collect() {
      this.reset();
      const t = source.ikeTotals();
      this.inc({ kind: 'ike' }, t.ikeRekeys);
      this.inc({ kind: 'child' }, t.childRekeys);
    },
  });
  new Gauge({
    name: 'nvad_ike_sas_up',
    help: 'Established IKE SAs',
    registers: [registry],
    collect() {
      this.set(source.ikeTotals().ikeSasUp);
    },
  });
}
