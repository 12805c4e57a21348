/**
 * The TCP side of an FSM run (fsm-run.ts): the outgoing connect for the FSM's `connect` action
 * (from the `update-source`, with the session TTL) and the wiring of a connection's messages,
 * errors and close into FSM events (Tcp_CR_Acked, TcpConnectionFails, BGPHeaderErr; RFC 4271 §8.1.4).
 */
import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/log.js';
import { BgpNotificationError } from '../errors.js';
import type { BgpEvent } from '../fsm-types.js';
import { fsmErrorOf, type FsmRun } from './fsm-run.js';
import type { SessionConfig, SessionCounters } from './session-types.js';
import { BgpConnection, type Connector } from './transport.js';

/** What a run's connection needs from its session. */
export interface RunConnectionHost {
  readonly cfg: SessionConfig;
  readonly clock: Clock;
  readonly log: Logger;
  readonly connector: Connector;
  readonly counters: SessionCounters;
  dispatch(run: FsmRun, event: BgpEvent): void;
  message(run: FsmRun, conn: BgpConnection, buf: Buffer): void;
}

/** The FSM's `connect` action: open a connection to the neighbor for `run`. */
export function connectRun(run: FsmRun, host: RunConnectionHost): void {
  const cfg = host.cfg;
  run.pending?.cancel();
  run.locallyInitiated = true;
  host.counters.connectAttempts += 1;
  const pending = host.connector(
    {
      remoteAddress: cfg.remoteAddress,
      port: cfg.port,
      localAddress: cfg.updateSource,
      ttl: cfg.ttl,
    },
    (err, socket, local) => {
      if (run.pending !== pending) {
        socket?.destroy();
        return;
      }
      run.pending = undefined;
      if (err || !socket) {
        host.log.debug({ err: err?.message }, 'connect failed');
        host.dispatch(run, { type: 'TcpConnectionFails' });
        return;
      }
      const conn = new BgpConnection(
        socket,
        { localAddress: local, remoteAddress: cfg.remoteAddress, locallyInitiated: true },
        host.clock,
      );
      adoptConnection(run, conn, true, host);
      host.dispatch(run, { type: 'Tcp_CR_Acked' });
    },
  );
  run.pending = pending;
}

/** Make `conn` the connection of `run` and feed its events to the run's FSM. */
export function adoptConnection(
  run: FsmRun,
  conn: BgpConnection,
  locallyInitiated: boolean,
  host: RunConnectionHost,
): void {
  run.conn = conn;
  run.locallyInitiated = locallyInitiated;
  conn.attach({
    message: (buf) => {
      host.message(run, conn, buf);
    },
    error: (err) => {
      if (run.conn !== conn) return;
      if (err instanceof BgpNotificationError) {
        host.dispatch(run, { type: 'BGPHeaderErr', error: fsmErrorOf(err) });
      } else {
        host.log.debug({ err: err.message }, 'connection error');
      }
    },
    closed: () => {
      if (run.conn !== conn) return;
      run.conn = undefined;
      host.dispatch(run, { type: 'TcpConnectionFails' });
    },
  });
}
