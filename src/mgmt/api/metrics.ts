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
