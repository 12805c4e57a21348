/**
 * The composition root: the only place that picks concrete implementations and wires them.
 * `runDaemon` loads the configuration, takes the per-config instance lock, creates the root
 * logger, the kernel port and the components, starts the daemon and handles signals:
 *
 *   SIGHUP           reload (a bad config is rejected, the running state stays untouched)
 *   SIGTERM/SIGINT   orderly shutdown: every kernel object nvad created is removed; exit 0
 *
 * Later issues add their parts to `buildComponents` (tunnels, IKE, ESP, BGP), each a Component.
 */
import { resolve } from 'node:path';
import type { Config } from './config/index.js';
import { createConfigPort } from './daemon/config-adapter.js';
import type { Component } from './daemon/component.js';
import { checkDaemonConfig, Daemon } from './daemon/daemon.js';
import {
  acquireInstanceLock,
  InstanceLockError,
  runDir,
  type InstanceLock,
} from './daemon/instance-lock.js';
import { BgpComponent } from './daemon/bgp.js';
import { LoopbackComponent } from './daemon/loopbacks.js';
import { RoutingComponent } from './daemon/routing.js';
import { IkeComponent } from './daemon/ike.js';
import { FileOwnershipStore, type OwnershipStore } from './daemon/ownership.js';
import { TunnelsComponent } from './daemon/tunnels.js';
import { createNetlinkKernel, type NetlinkKernel } from './kernel/index.js';
import { nativeTcpSocketOptions } from './kernel/tcp-sockopt.js';
import { Routing } from './routing/index.js';
import type { KernelPort } from './kernel/port.js';
import { systemClock } from './lib/clock.js';
import { systemRng } from './lib/rng.js';
import { createLogger, type Logger } from './lib/log.js';
import { ApiListenError } from './mgmt/api/index.js';
import { VERSION } from './version.js';

export interface RunOptions {
  readonly configFile: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Where one-line user errors go (default stderr). */
  readonly errorOut?: (line: string) => void;
}

/** Exit codes: 0 clean shutdown, 1 runtime failure (lock, port, kernel), 2 configuration error. */
export type ExitCode = 0 | 1 | 2;

function buildComponents(
  kernel: KernelPort,
  logger: Logger,
  ownership: OwnershipStore,
): Component[] {
  // Tunnels after loopbacks: ICMP errors and routes may use loopback addresses. The tunnels
  // component drives the routing module (static routes, line protocol -> nexthop groups);
  // `tunnels.installer()` is the ChildSaInstaller + IkeTransport to hand to IKE, and `routing`
  // is where BGP routes go.
  const routing = new Routing({
    kernel,
    logger: logger.child({ mod: 'routing' }),
    clock: systemClock,
  });
  // BGP: speaker + RIB; best paths (ECMP) go to `routing`. Tunnel line protocol fans out to the
  // routing module and to the BGP sessions riding on the tunnel.
  const bgp = new BgpComponent({
    routing,
    logger,
    clock: systemClock,
    rng: systemRng,
    socketOptions: nativeTcpSocketOptions(),
  });
  const tunnels = new TunnelsComponent({
    kernel,
    logger,
    clock: systemClock,
    routing,
    onTunnelState: (name, up) => {
      bgp.onTunnelState(name, up);
    },
  });
  // IKE after tunnels: it installs child SAs through `tunnels.installer()` and, stopping first,
  // sends its IKE Deletes while the sockets are still open.
  // Kernel link events let IKE restart tunnels at once when the underlay comes back.
  const links = kernel as KernelPort & Pick<Partial<NetlinkKernel>, 'watchLinks'>;
  const ike = new IkeComponent({
    tunnels,
    logger,
    clock: systemClock,
    rng: systemRng,
    ...(links.watchLinks ? { watchLinks: links.watchLinks.bind(links) } : {}),
  });
  // Routing before tunnels (it stops last); BGP last (it stops first: Cease while tunnels are up).
  return [
    new LoopbackComponent({ kernel, logger, ownership }),
    new RoutingComponent({ routing, logger }),
    tunnels,
    ike,
    bgp,
  ];
}

/** The ownership record lives next to the lock: nvad-<hash>.lock → nvad-<hash>.state.json. */
function statePathFor(lockPath: string): string {
  return lockPath.replace(/\.lock$/, '.state.json');
}

function oneLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
}

/** Run the daemon until SIGTERM/SIGINT; resolves with the process exit code. */
export async function runDaemon(opts: RunOptions): Promise<ExitCode> {
  const env = opts.env ?? process.env;
  const errorOut = opts.errorOut ?? ((line: string) => process.stderr.write(`${line}\n`));
  const configFile = resolve(opts.configFile);
  const configPort = createConfigPort();

  const loaded = await configPort.load(configFile);
  if (!loaded.ok) {
    for (const e of loaded.errors) errorOut(e.text);
    return 2;
  }
  const config: Config = loaded.config;
  const daemonErrors = checkDaemonConfig(config, configFile);
  if (daemonErrors.length > 0) {
    for (const line of daemonErrors) errorOut(line);
    return 2;
  }

  let lock: InstanceLock;
  try {
    lock = acquireInstanceLock(configFile, runDir(env));
  } catch (err) {
    if (err instanceof InstanceLockError) {
      errorOut(`nvad run: ${err.message}`);
      return 1;
    }
    errorOut(`nvad run: cannot create the instance lock: ${oneLine(err)}`);
    return 1;
  }

  const logger = createLogger({ level: config.log.level });
  const log = logger.child({ mod: 'daemon' });
  if (lock.tookOverFromPid !== null) {
    log.warn(
      { lock: lock.path, stalePid: lock.tookOverFromPid },
      'took over a stale instance lock',
    );
  }

  let kernel: KernelPort;
  try {
    kernel = createNetlinkKernel();
  } catch (err) {
    lock.release();
    errorOut(`nvad run: cannot open the kernel interface: ${oneLine(err)}`);
    return 1;
  }

  const daemon = new Daemon({
    configFile,
    config: configPort,
    kernel,
    logger,
    clock: systemClock,
    version: VERSION,
    components: buildComponents(kernel, logger, new FileOwnershipStore(statePathFor(lock.path))),
  });

  const cleanup = (): void => {
    kernel.close();
    lock.release();
    logger.flush();
  };

  // Signal handlers go in before start: a signal during startup must not kill the process with
  // addresses half applied. The daemon serialises operations, so a SIGTERM during start stops
  // right after it, and a SIGHUP during start reloads right after it.
  let stopping = false;
  let startFailed = false;
  let finish: (code: ExitCode) => void = () => undefined;
  const finished = new Promise<ExitCode>((r) => {
    finish = r;
  });
  const detach = (): void => {
    for (const [sig, fn] of handlers) process.off(sig, fn);
    process.off('uncaughtException', onFatal);
    process.off('unhandledRejection', onFatal);
  };
  const shutdown = (reason: string, code: ExitCode): void => {
    if (stopping) {
      log.warn({ reason }, 'shutdown already in progress');
      return;
    }
    stopping = true;
    daemon
      .stop(reason)
      .catch((err: unknown) => {
        log.error({ err }, 'shutdown failed');
      })
      .finally(() => {
        detach();
        if (!startFailed) cleanup();
        finish(code);
      });
  };
  const onFatal = (err: unknown): void => {
    log.fatal({ err }, 'unexpected error; shutting down');
    shutdown('fatal error', 1);
  };
  const handlers: [NodeJS.Signals, () => void][] = [
    [
      'SIGTERM',
      () => {
        shutdown('SIGTERM', 0);
      },
    ],
    [
      'SIGINT',
      () => {
        shutdown('SIGINT', 0);
      },
    ],
    [
      'SIGHUP',
      () => {
        if (stopping) return;
        daemon.reload().catch((err: unknown) => {
          log.error({ err }, 'reload failed');
        });
      },
    ],
  ];
  for (const [sig, fn] of handlers) process.on(sig, fn);
  process.on('uncaughtException', onFatal);
  process.on('unhandledRejection', onFatal);

  try {
    await daemon.start(config);
  } catch (err) {
    startFailed = true;
    if (err instanceof ApiListenError) {
      errorOut(`nvad run: ${err.message}`);
    } else {
      log.error({ err }, 'daemon failed to start');
      errorOut(`nvad run: failed to start: ${oneLine(err)}`);
    }
    detach();
    cleanup();
    return 1;
  }
  return finished;
}
