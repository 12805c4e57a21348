/**
 * The native data plane behind IKE's `ChildSaInstaller` port: TUN devices and UDP sockets are
 * handed to native threads (native/src/datapath.cc), SAs are installed into them, and JS only reads
 * counters (shared memory) and receives IKE datagrams (one thread-safe callback per datagram).
 *
 *   TX thread per tunnel: TUN -> MSS clamp / ICMP too-big -> outbound SA seal -> sendmmsg
 *   RX thread per socket: recvmmsg -> keepalive | IKE (non-ESP marker) -> JS | ESP -> SAD -> TUN
 *
 * ESP travels UDP-encapsulated (RFC 3948, port 4500 with the non-ESP marker) or raw as IP
 * protocol 50 over an IPPROTO_ESP socket (only where the kernel itself has no ESP).
 */
import type {
  ChildSaEvent,
  ChildSaInstaller,
  ChildSaParams,
  Endpoint,
  EspPath,
  SaCounters,
} from '../ike/ports.js';
import type { Clock, Timer } from '../lib/clock.js';
import { NetError } from '../lib/errors.js';
import { GLOBAL_SLOT, NativeEspSa, NativeEspSad, espAddon } from './native-esp.js';
import type { NativeHandle } from './native-esp.js';

interface DatapathAddon {
  dpCreate(
    sad: NativeHandle,
    onIke: (data: Buffer, address: string, port: number, socket: number) => void,
  ): NativeHandle;
  dpAddSocket(dp: NativeHandle, fd: number, mode: 'natt' | 'ike' | 'esp'): number;
  dpAddTunnel(dp: NativeHandle, fd: number, cfg: NativeTunnelConfig): number;
  dpRemoveTunnel(dp: NativeHandle, index: number): boolean;
  dpSetOutbound(
    dp: NativeHandle,
    tunnel: number,
    sa: NativeHandle | null,
    socket: number,
    address: string,
    port: number,
  ): void;
  dpSendIke(dp: NativeHandle, socket: number, data: Buffer, address: string, port: number): void;
  dpSendKeepalive(dp: NativeHandle, socket: number, address: string, port: number): void;
  dpClose(dp: NativeHandle): void;
  udpOpen(address: string, port: number): { fd: number; port: number };
  rawEspOpen(address: string): { fd: number };
  fdClose(fd: number): void;
}

interface NativeTunnelConfig {
  vnetHdr: boolean;
  mtu: number;
  mss4: number;
  mss6: number;
  source4?: Buffer;
  source6?: Buffer;
}

/** What the data path needs of a TUN device (src/tunnel/tun-device.ts matches structurally). */
export interface TunHandle {
  readonly fd: number;
  readonly vnetHdr: boolean;
}

/** How a tunnel's inner packets are treated in the data path. */
export interface DatapathTunnelOptions {
  /** Inner packets longer than this get ICMP too-big back (0: no check). */
  readonly mtu?: number;
  /** Clamp the MSS of IPv4 / IPv6 SYNs to these values (0: off). */
  readonly mss4?: number;
  readonly mss6?: number;
  /** Inside addresses (4 / 16 bytes) that ICMP errors come from. */
  readonly source4?: Buffer;
  readonly source6?: Buffer;
  /**
   * Called when the tunnel's "line protocol" changes: up while an outbound SA is installed
   * (Catalyst VTI semantics). The composition root wires it to the link (ioctl or rtnetlink).
   */
  readonly onLinkState?: (up: boolean) => void;
}

/** One installed SA direction with its lifetime state (mirrors src/esp/sad.ts semantics). */
interface SaRecord {
  readonly tunnel: string;
  readonly sa: NativeEspSa;
  readonly params: ChildSaParams;
  readonly direction: 'in' | 'out';
  softSent: boolean;
  hardSent: boolean;
  readonly timers: Timer[];
  /** Clock ms at install; lifetimes count from here. */
  readonly installedMs: number;
}

interface TunnelEntry {
  readonly name: string;
  readonly index: number;
  readonly inbound: Map<number, SaRecord>;
  outbound: SaRecord | null;
  /** Outbound SAs replaced by a rekey, kept for counters until deleted. */
  readonly retired: Map<number, SaRecord>;
  path: EspPath | null;
  readonly onLinkState: ((up: boolean) => void) | null;
}

interface SocketEntry {
  readonly index: number;
  readonly fd: number;
  readonly local: Endpoint;
}

/** Global data-path counters (see GLOBAL_SLOT and drop codes). */
export interface DatapathCounters {
  readonly rxPackets: bigint;
  readonly ikePackets: bigint;
  readonly keepalives: bigint;
  readonly txPackets: bigint;
  readonly tunRead: bigint;
  readonly tunWrite: bigint;
  readonly mssClamped: bigint;
  readonly tooBig: bigint;
  readonly ioErrors: bigint;
}

/** Byte lifetimes and sequence flags are polled from the shared counters at this period. */
const POLL_MS = 1000;
const KB = 1024n;

function endpointKey(e: Endpoint): string {
  return `${e.address}|${e.port}`;
}

function rawKey(address: string): string {
  return `${address}|esp`;
}

export class NativeDatapath implements ChildSaInstaller {
  private readonly addon: DatapathAddon;
  private readonly clock: Clock;
  private readonly sad: NativeEspSad;
  private dp: NativeHandle | null;
  private readonly tunnels = new Map<string, TunnelEntry>();
  private readonly sockets: SocketEntry[] = [];
  private readonly socketsByLocal = new Map<string, SocketEntry>();
  private readonly listeners: ((event: ChildSaEvent) => void)[] = [];
  private readonly ikeListeners: ((data: Buffer, local: Endpoint, remote: Endpoint) => void)[] = [];
  private readonly pollTimer: Timer;

  constructor(clock: Clock) {
    this.addon = espAddon() as unknown as DatapathAddon;
    this.clock = clock;
    this.sad = new NativeEspSad();
    this.dp = this.addon.dpCreate(this.sad.handle, (data, address, port, socket) => {
      this.deliverIke(data, address, port, socket);
    });
    this.pollTimer = clock.setTimer(POLL_MS, () => {
      this.poll();
    });
  }

  private handle(): NativeHandle {
    if (this.dp === null) throw new NetError('ERR_DATAPATH_CLOSED', 'native datapath is closed');
    return this.dp;
  }

  /**
   * Bind a UDP socket: 'natt' (port 4500: ESP plus IKE behind the non-ESP marker) or 'ike'
   * (port 500: IKE only). Port 0 binds an ephemeral port; the bound endpoint is returned.
   */
  addSocket(local: Endpoint, mode: 'natt' | 'ike' = 'natt'): Endpoint {
    const { fd, port } = this.addon.udpOpen(local.address, local.port);
    const index = this.addon.dpAddSocket(this.handle(), fd, mode);
    const bound = { address: local.address, port };
    this.register({ index, fd, local: bound }, endpointKey(bound));
    return bound;
  }

  /** Open a raw ESP (protocol 50) socket on `address` for paths without UDP encapsulation. */
  addRawEspSocket(address: string): void {
    const { fd } = this.addon.rawEspOpen(address);
    const index = this.addon.dpAddSocket(this.handle(), fd, 'esp');
    this.register({ index, fd, local: { address, port: 0 } }, rawKey(address));
  }

  private register(entry: SocketEntry, key: string): void {
    this.sockets.push(entry);
    this.socketsByLocal.set(key, entry);
  }

  /** Attach a TUN device as tunnel `name`; its TX thread starts at once (drops until an SA). */
  addTunnel(name: string, tun: TunHandle, options: DatapathTunnelOptions = {}): void {
    if (this.tunnels.has(name)) throw new NetError('ERR_DATAPATH_TUNNEL', `tunnel ${name} exists`);
    const cfg: NativeTunnelConfig = {
      vnetHdr: tun.vnetHdr,
      mtu: options.mtu ?? 0,
      mss4: options.mss4 ?? 0,
      mss6: options.mss6 ?? 0,
    };
    if (options.source4 !== undefined) cfg.source4 = options.source4;
    if (options.source6 !== undefined) cfg.source6 = options.source6;
    const index = this.addon.dpAddTunnel(this.handle(), tun.fd, cfg);
    this.tunnels.set(name, {
      onLinkState: options.onLinkState ?? null,
      name,
      index,
      inbound: new Map(),
      outbound: null,
      retired: new Map(),
      path: null,
    });
  }

  /** Stop the tunnel's TX thread and forget its SAs (the TUN device stays open). */
  removeTunnel(name: string): void {
    const t = this.tunnels.get(name);
    if (t === undefined) return;
    for (const [spi, r] of t.inbound) {
      this.sad.remove(spi);
      cancel(r);
    }
    if (t.outbound !== null) cancel(t.outbound);
    for (const r of t.retired.values()) cancel(r);
    this.addon.dpRemoveTunnel(this.handle(), t.index);
    this.tunnels.delete(name);
  }

  private tunnel(name: string): TunnelEntry {
    const t = this.tunnels.get(name);
    if (t === undefined) throw new NetError('ERR_DATAPATH_TUNNEL', `unknown tunnel ${name}`);
    return t;
  }

  addInbound(tunnel: string, sa: ChildSaParams, _path: EspPath): void {
    const t = this.tunnel(tunnel);
    const record = this.record(tunnel, sa, 'in');
    const old = t.inbound.get(record.sa.spi);
    if (old !== undefined) cancel(old);
    t.inbound.set(record.sa.spi, record);
    this.sad.add(record.sa, t.index);
  }

  setOutbound(tunnel: string, sa: ChildSaParams, path: EspPath): void {
    const t = this.tunnel(tunnel);
    const sock = this.socketFor(path);
    if (t.outbound?.sa.spi === sa.spi >>> 0) {
      // Already the outbound SA: a fresh one would restart the ESP sequence at 1 and the peer's
      // anti-replay window would drop everything (RFC 4303 §3.3.3); only the path may change.
      this.applyPath(t, path, sock);
      return;
    }
    // A retired SA made outbound again (the duplicate IKE SA that replaced it went away) keeps
    // its sequence counter and lifetime as well.
    const spi = sa.spi >>> 0;
    const retired = t.retired.get(spi);
    t.retired.delete(spi);
    const record = retired === undefined ? this.record(tunnel, sa, 'out') : this.arm(retired);
    if (t.outbound !== null) {
      cancel(t.outbound);
      t.retired.set(t.outbound.sa.spi, t.outbound);
    }
    const wasUp = t.outbound !== null;
    t.outbound = record;
    this.applyPath(t, path, sock);
    if (!wasUp) t.onLinkState?.(true);
  }

  updatePath(tunnel: string, path: EspPath): void {
    const t = this.tunnel(tunnel);
    this.applyPath(t, path, this.socketFor(path));
  }

  /** The socket a path leaves from; throws before any state changes when there is none. */
  private socketFor(path: EspPath): SocketEntry {
    const key = path.udpEncap ? endpointKey(path.local) : rawKey(path.local.address);
    const sock = this.socketsByLocal.get(key);
    if (sock === undefined) {
      const what = path.udpEncap
        ? `no UDP socket bound to ${path.local.address}:${path.local.port}`
        : `no raw ESP socket on ${path.local.address}`;
      throw new NetError('ERR_DATAPATH_SOCKET', what);
    }
    return sock;
  }

  private applyPath(t: TunnelEntry, path: EspPath, sock: SocketEntry): void {
    t.path = path;
    if (t.outbound === null) return;
    this.addon.dpSetOutbound(
      this.handle(),
      t.index,
      t.outbound.sa.handle,
      sock.index,
      path.remote.address,
      path.remote.port,
    );
  }

  delete(tunnel: string, spi: number, direction: 'in' | 'out'): void {
    const t = this.tunnels.get(tunnel);
    if (t === undefined) return;
    const key = spi >>> 0;
    if (direction === 'in') {
      const r = t.inbound.get(key);
      if (r === undefined) return;
      cancel(r);
      t.inbound.delete(key);
      this.sad.remove(key);
      return;
    }
    if (t.outbound?.sa.spi === key) {
      cancel(t.outbound);
      t.outbound = null;
      this.addon.dpSetOutbound(this.handle(), t.index, null, -1, '', 0);
      t.onLinkState?.(false);
    }
    t.retired.delete(key);
  }

  private record(tunnel: string, params: ChildSaParams, direction: 'in' | 'out'): SaRecord {
    const r: SaRecord = {
      tunnel,
      sa: new NativeEspSa(params, direction),
      params,
      direction,
      softSent: false,
      hardSent: false,
      timers: [],
      installedMs: this.clock.now(),
    };
    return this.arm(r);
  }

  /** (Re-)arm the lifetime timers of `r` for what is left of its lifetimes. */
  private arm(r: SaRecord): SaRecord {
    cancel(r);
    const life = r.params.lifetime;
    const age = this.clock.now() - r.installedMs;
    if (life.softSec !== null && !r.softSent) {
      r.timers.push(
        this.clock.setTimer(Math.max(0, life.softSec * 1000 - age), () => {
          this.expireSoft(r, 'time');
        }),
      );
    }
    if (life.hardSec !== null) {
      r.timers.push(
        this.clock.setTimer(Math.max(0, life.hardSec * 1000 - age), () => {
          this.expireHard(r, 'time');
        }),
      );
    }
    return r;
  }

  private findSa(tunnel: string, spi: number, direction: 'in' | 'out'): NativeEspSa | null {
    const t = this.tunnels.get(tunnel);
    if (t === undefined) return null;
    const key = spi >>> 0;
    if (direction === 'in') return t.inbound.get(key)?.sa ?? null;
    if (t.outbound?.sa.spi === key) return t.outbound.sa;
    return t.retired.get(key)?.sa ?? null;
  }

  counters(tunnel: string, spi: number, direction: 'in' | 'out'): SaCounters | null {
    const sa = this.findSa(tunnel, spi, direction);
    if (sa === null) return null;
    const last = sa.lastUsedMs;
    let lastUsedMs: number | null = null;
    if (last !== 0n) {
      // Native stamps CLOCK_MONOTONIC ms (the hrtime base); map it onto the injected Clock.
      const ageMs = Number(process.hrtime.bigint() / 1_000_000n - last);
      lastUsedMs = this.clock.now() - Math.max(0, ageMs);
    }
    return { packets: sa.packets, bytes: sa.bytes, lastUsedMs };
  }

  /** Drop counters by reason for one SA (native codes, see drop-reason.ts). */
  drops(tunnel: string, spi: number, direction: 'in' | 'out', code: number): bigint {
    return this.findSa(tunnel, spi, direction)?.drops(code) ?? 0n;
  }

  /** Drops outside any SA (unknown SPI, malformed, no outbound SA). */
  globalDrops(code: number): bigint {
    return this.sad.drops(code);
  }

  globalCounters(): DatapathCounters {
    const c = this.sad.counters;
    return {
      rxPackets: c[GLOBAL_SLOT.rxPackets] ?? 0n,
      ikePackets: c[GLOBAL_SLOT.ikePackets] ?? 0n,
      keepalives: c[GLOBAL_SLOT.keepalives] ?? 0n,
      txPackets: c[GLOBAL_SLOT.txPackets] ?? 0n,
      tunRead: c[GLOBAL_SLOT.tunRead] ?? 0n,
      tunWrite: c[GLOBAL_SLOT.tunWrite] ?? 0n,
      mssClamped: c[GLOBAL_SLOT.mssClamped] ?? 0n,
      tooBig: c[GLOBAL_SLOT.tooBig] ?? 0n,
      ioErrors: c[GLOBAL_SLOT.ioErrors] ?? 0n,
    };
  }

  onEvent(listener: (event: ChildSaEvent) => void): void {
    this.listeners.push(listener);
  }

  /** IKE datagrams (IkeTransport shape): the non-ESP marker is added/removed natively. */
  send(data: Buffer, from: Endpoint, to: Endpoint): void {
    const sock = this.socketsByLocal.get(endpointKey(from));
    if (sock === undefined) {
      throw new NetError('ERR_DATAPATH_SOCKET', `no socket bound to ${from.address}:${from.port}`);
    }
    this.addon.dpSendIke(this.handle(), sock.index, data, to.address, to.port);
  }

  /** RFC 3948 §2.3 NAT-keepalive: one 0xFF byte from the NAT-T socket bound to `from`. */
  sendKeepalive(from: Endpoint, to: Endpoint): void {
    const sock = this.socketsByLocal.get(endpointKey(from));
    if (sock === undefined) {
      throw new NetError('ERR_DATAPATH_SOCKET', `no socket bound to ${from.address}:${from.port}`);
    }
    this.addon.dpSendKeepalive(this.handle(), sock.index, to.address, to.port);
  }

  onReceive(listener: (data: Buffer, local: Endpoint, remote: Endpoint) => void): void {
    this.ikeListeners.push(listener);
  }

  private deliverIke(data: Buffer, address: string, port: number, socket: number): void {
    const sock = this.sockets[socket];
    if (sock === undefined) return;
    for (const l of this.ikeListeners) l(data, sock.local, { address, port });
  }

  /**
   * Kilobyte lifetimes and the native sequence flags, read from the shared counters every
   * POLL_MS (so a hard byte limit may be passed by up to one period of traffic).
   */
  private poll(): void {
    for (const t of [...this.tunnels.values()]) {
      const records = [...t.inbound.values()];
      if (t.outbound !== null) records.push(t.outbound);
      for (const r of records) {
        const life = r.params.lifetime;
        const bytes = r.sa.bytes;
        if (life.hardKb !== null && bytes >= BigInt(life.hardKb) * KB) {
          this.expireHard(r, 'bytes');
          continue;
        }
        if (life.softKb !== null && bytes >= BigInt(life.softKb) * KB) this.expireSoft(r, 'bytes');
        if (r.direction === 'out') {
          if (r.sa.seqExhausted) this.expireHard(r, 'sequence');
          else if (r.sa.seqSoftReached) this.expireSoft(r, 'sequence');
        }
      }
    }
    if (this.dp !== null) this.pollTimer.reschedule(POLL_MS);
  }

  private expireSoft(r: SaRecord, reason: 'time' | 'bytes' | 'sequence'): void {
    if (r.softSent || r.hardSent) return;
    r.softSent = true;
    this.emit({
      kind: 'soft-expire',
      tunnel: r.tunnel,
      spi: r.sa.spi,
      direction: r.direction,
      reason,
    });
  }

  /** Hard expiry removes the SA (like src/esp/sad.ts), then tells IKE. */
  private expireHard(r: SaRecord, reason: 'time' | 'bytes' | 'sequence'): void {
    if (r.hardSent) return;
    const t = this.tunnels.get(r.tunnel);
    const installed = r.direction === 'in' ? t?.inbound.get(r.sa.spi) === r : t?.outbound === r;
    if (!installed) return;
    r.hardSent = true;
    this.delete(r.tunnel, r.sa.spi, r.direction);
    this.emit({
      kind: 'hard-expire',
      tunnel: r.tunnel,
      spi: r.sa.spi,
      direction: r.direction,
      reason,
    });
  }

  private emit(event: ChildSaEvent): void {
    for (const l of this.listeners) l(event);
  }

  /** Stop all threads, close the sockets this object opened. TUN devices stay with their owner. */
  close(): void {
    if (this.dp === null) return;
    this.pollTimer.cancel();
    for (const t of this.tunnels.values()) {
      for (const r of t.inbound.values()) cancel(r);
      if (t.outbound !== null) cancel(t.outbound);
    }
    this.addon.dpClose(this.dp);
    this.dp = null;
    for (const s of this.sockets) this.addon.fdClose(s.fd);
    this.sockets.length = 0;
    this.socketsByLocal.clear();
    this.tunnels.clear();
  }
}

function cancel(r: SaRecord): void {
  for (const timer of r.timers) timer.cancel();
  r.timers.length = 0;
}
