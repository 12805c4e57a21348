/**
 * The daemon lifecycle: start (API first, so a second instance fails before touching the kernel;
 * then components in order), reload (validate, diff, apply to each component; a bad config is
 * rejected and nothing changes) and stop (components in reverse order, then the API). Operations
 * are serialised: a SIGHUP during shutdown, or SIGTERM during a reload, waits its turn.
 */
import type { Config } from '../config/index.js';
import type { KernelPort } from '../kernel/port.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/log.js';
import {
  ApiServer,
  BearerAuth,
  createDaemonMetrics,
  isLoopbackHost,
  parseTokenFile,
  type DaemonMetrics,
} from '../mgmt/api/index.js';
import type { ListenAddress, StatusDto } from '../mgmt/api/index.js';
import { SHOW_COMMANDS } from '../mgmt/show/index.js';
import { ViewRegistry, type ComponentStatus, type ShowContext } from '../mgmt/show/context.js';
import type { ShowCommand } from '../mgmt/show/registry.js';
import type { Component } from './component.js';
import type { ConfigPort } from './config-port.js';

export interface DaemonOptions {
  /** Absolute path of the configuration file. */
  readonly configFile: string;
  readonly config: ConfigPort;
  readonly kernel: KernelPort;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly version: string;
  readonly components: readonly Component[];
  readonly commands?: readonly ShowCommand[];
  readonly pid?: number;
}

export type ReloadOutcome =
  | { readonly result: 'applied'; readonly changes: readonly string[] }
  | { readonly result: 'unchanged' }
  | { readonly result: 'rejected'; readonly errors: readonly string[] };

/** Checks the config rules the daemon itself owns; returns error lines (empty when fine). */
export function checkDaemonConfig(config: Config, configFile: string): string[] {
  const errors: string[] = [];
  if (config.api.token !== undefined && parseTokenFile(config.api.token.reveal()) === null) {
    errors.push(
      `${configFile}: api.token-file: the token file holds only white space (expected a token on its first line)`,
    );
  }
  if (!isLoopbackHost(config.api.listen.host) && config.api.token === undefined) {
    errors.push(
      `${configFile}: api.listen: ${config.api.listen.host} is not a loopback address (expected api.token-file when the API listens beyond loopback)`,
    );
  }
  return errors;
}

/**
 * The API authenticator for a config: the token is the first line of the token file, trimmed (the
 * same rule the CLI applies when it reads the file). checkDaemonConfig rejects an empty one.
 */
function authFor(config: Config): BearerAuth | null {
  const token = config.api.token !== undefined ? parseTokenFile(config.api.token.reveal()) : null;
  return token !== null ? new BearerAuth(token) : null;
}

export class Daemon {
  private readonly opts: DaemonOptions;
  private readonly log: Logger;
  private readonly views = new ViewRegistry();
  readonly metrics: DaemonMetrics;
  private api: ApiServer | null = null;
  private config: Config | null = null;
  private configLoadedAtMs = 0;
  private readonly startedMono: number;
  private readonly startedAtMs: number;
  private queue: Promise<unknown> = Promise.resolve();
  private started: Component[] = [];
  private stopped = false;

  constructor(opts: DaemonOptions) {
    this.opts = opts;
    this.log = opts.logger.child({ mod: 'daemon' });
    this.startedMono = opts.clock.now();
    this.startedAtMs = opts.clock.wallNow();
    this.metrics = createDaemonMetrics({
      version: opts.version,
      interfacesUp: () => this.countInterfacesUp(),
    });
    for (const c of opts.components) {
      c.publishViews?.(this.views);
      c.registerMetrics?.(this.metrics.registry);
    }
  }

  /** The running configuration (after start). */
  get runningConfig(): Config | null {
    return this.config;
  }

  /** The API's bound address (after start). */
  get apiAddress(): ListenAddress | null {
    return this.api?.address ?? null;
  }

  /**
   * Start with a validated configuration. Throws ApiListenError when the API cannot listen (before
   * any kernel change), or the first component error (after stopping the components started).
   */
  start(config: Config): Promise<void> {
    return this.serial(async () => {
      const errors = checkDaemonConfig(config, this.opts.configFile);
      if (errors.length > 0) throw new Error(errors.join('\n'));
      this.config = config;
      this.configLoadedAtMs = this.opts.clock.wallNow();
      this.log.info(
        {
          node: config.node.name,
          version: this.opts.version,
          pid: this.pid,
          config: this.opts.configFile,
        },
        'daemon starting',
      );
      const api = new ApiServer({
        listen: config.api.listen,
        auth: authFor(config),
        logger: this.opts.logger.child({ mod: 'api' }),
        registry: this.metrics.registry,
        commands: this.opts.commands ?? SHOW_COMMANDS,
        context: this.showContext(),
        status: () => this.status(),
      });
      const bound = await api.start();
      this.api = api;
      this.log.info({ listen: bound, auth: config.api.token !== undefined }, 'api listening');
      for (const c of this.opts.components) {
        try {
          await c.start(config);
          this.started.push(c);
          this.log.info({ component: c.name, detail: c.status().detail }, 'component started');
        } catch (err) {
          this.log.error({ err, component: c.name }, 'component failed to start');
          await this.stopAll();
          throw err;
        }
      }
      this.log.info({ node: config.node.name }, 'daemon running');
    });
  }

  /** Re-read the configuration file and apply the difference (SIGHUP). */
  reload(): Promise<ReloadOutcome> {
    return this.serial(async () => {
      const current = this.config;
      if (this.stopped || !current)
        return { result: 'rejected', errors: ['daemon is not running'] };
      this.log.info({ config: this.opts.configFile }, 'reload requested');
      const loaded = await this.opts.config.load(this.opts.configFile);
      const errors = loaded.ok
        ? checkDaemonConfig(loaded.config, this.opts.configFile)
        : loaded.errors.map((e) => e.text);
      if (!loaded.ok || errors.length > 0) {
        for (const line of errors) this.log.warn({ error: line }, 'config error');
        this.log.warn(
          { errors: errors.length },
          'reload rejected; running configuration unchanged',
        );
        this.metrics.configReloads.inc({ result: 'failure' });
        return { result: 'rejected', errors };
      }
      const next = loaded.config;
      const diff = this.opts.config.diff(current, next);
      const changes = this.opts.config.summarize(diff, current, next);
      if (changes.length === 0) {
        this.config = next;
        this.configLoadedAtMs = this.opts.clock.wallNow();
        this.metrics.configReloads.inc({ result: 'success' });
        this.log.info('reload: no changes');
        return { result: 'unchanged' };
      }
      this.log.info({ changes }, 'reload: applying changes');
      this.applyDaemonSettings(current, next);
      try {
        for (const c of this.started) await c.apply(diff, next);
      } catch (err) {
        // Partially applied: keep the new config as the reference so a retry re-diffs from it.
        this.config = next;
        this.metrics.configReloads.inc({ result: 'failure' });
        this.log.error({ err }, 'reload failed while applying; state may be partial');
        throw err;
      }
      this.config = next;
      this.configLoadedAtMs = this.opts.clock.wallNow();
      this.metrics.configReloads.inc({ result: 'success' });
      this.log.info({ changes }, 'reload applied');
      return { result: 'applied', changes };
    });
  }

  /** Orderly shutdown: components in reverse order (each removes what it created), then the API. */
  stop(reason = 'requested'): Promise<void> {
    return this.serial(async () => {
      if (this.stopped) return;
      this.log.info({ reason }, 'daemon stopping');
      await this.stopAll();
      this.log.info('daemon stopped');
    });
  }

  status(): StatusDto {
    const config = this.config;
    return {
      nodeName: config?.node.name ?? '',
      version: this.opts.version,
      pid: this.pid,
      startedAt: new Date(this.startedAtMs).toISOString(),
      uptimeSec: Math.floor(this.uptimeSec()),
      configFile: this.opts.configFile,
      configLoadedAt: new Date(this.configLoadedAtMs).toISOString(),
      components: this.componentStatuses(),
    };
  }

  private get pid(): number {
    return this.opts.pid ?? process.pid;
  }

  private uptimeSec(): number {
    return (this.opts.clock.now() - this.startedMono) / 1000;
  }

  private componentStatuses(): ComponentStatus[] {
    return this.opts.components.map((c) => c.status());
  }

  private managedInterfaces(): string[] {
    const names = new Set<string>();
    for (const c of this.started) for (const n of c.interfaces()) names.add(n);
    return [...names];
  }

  private async countInterfacesUp(): Promise<number> {
    const managed = new Set(this.managedInterfaces());
    if (managed.size === 0) return 0;
    const links = await this.opts.kernel.listLinks();
    return links.filter((l) => managed.has(l.name) && l.up && l.running).length;
  }

  private showContext(): ShowContext {
    const kernel = this.opts.kernel;
    const nodeName = (): string => this.config?.node.name ?? '';
    return {
      daemon: {
        get nodeName() {
          return nodeName();
        },
        version: this.opts.version,
        configFile: this.opts.configFile,
        pid: this.pid,
        startedAtMs: this.startedAtMs,
        uptimeSec: () => this.uptimeSec(),
      },
      kernel: {
        listLinks: () => kernel.listLinks(),
        listAddresses: (ifname?: string) => kernel.listAddresses(ifname),
      },
      runningConfig: () => (this.config ? this.opts.config.render(this.config) : ''),
      configLoadedAtMs: () => this.configLoadedAtMs,
      managedInterfaces: () => this.managedInterfaces(),
      components: () => this.componentStatuses(),
      view: (key) => this.views.get(key),
    };
  }

  /** Settings the daemon applies itself on reload: log level, API token. */
  private applyDaemonSettings(current: Config, next: Config): void {
    if (current.log.level !== next.log.level) {
      this.opts.logger.level = next.log.level;
      this.log.info({ level: next.log.level }, 'log level changed');
    }
    const listenChanged =
      current.api.listen.host !== next.api.listen.host ||
      current.api.listen.port !== next.api.listen.port;
    if (listenChanged)
      this.log.warn(
        { listen: next.api.listen },
        'api.listen changed; takes effect after a restart',
      );
    this.api?.setAuth(authFor(next));
  }

  private async stopAll(): Promise<void> {
    this.stopped = true;
    for (const c of [...this.started].reverse()) {
      try {
        await c.stop();
        this.log.info({ component: c.name }, 'component stopped');
      } catch (err) {
        this.log.error({ err, component: c.name }, 'component failed to stop cleanly');
      }
    }
    this.started = [];
    await this.api?.close();
    this.api = null;
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }
}
