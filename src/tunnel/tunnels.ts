/**
 * The SA ledger: a `ChildSaInstaller` in front of the data path that remembers, per tunnel, which
 * child SAs are installed (SPI, transforms, lifetimes, install time, ESP path; never keys) so
 * `show crypto ipsec sa` can list them. Everything is delegated unchanged; hard expiries the data
 * path performs itself are mirrored through its events. IKE and the manual-SA code both install
 * through the ledger.
 */
import type {
  ChildSaEvent,
  ChildSaInstaller,
  ChildSaParams,
  EspPath,
  SaCounters,
  SaLifetime,
} from '../ike/ports.js';
import type { EncryptionName, IntegrityName } from '../crypto/transforms.js';
import type { Clock } from '../lib/clock.js';

/** One installed SA direction as show commands see it (no key material). */
export interface LedgerSa {
  readonly spi: number;
  readonly direction: 'in' | 'out';
  readonly encryption: EncryptionName;
  readonly integrity: IntegrityName | null;
  readonly esn: boolean;
  readonly replayWindow: number;
  readonly lifetime: SaLifetime;
  /** Monotonic ms (the Clock's) when installed. */
  readonly installedMs: number;
}

export interface LedgerTunnel {
  readonly inbound: readonly LedgerSa[];
  readonly outbound: LedgerSa | null;
  readonly path: EspPath | null;
}

interface MutableTunnel {
  readonly inbound: Map<number, LedgerSa>;
  outbound: LedgerSa | null;
  path: EspPath | null;
}

function describe(sa: ChildSaParams, direction: 'in' | 'out', now: number): LedgerSa {
  return {
    spi: sa.spi >>> 0,
    direction,
    encryption: sa.encryption,
    integrity: sa.integrity,
    esn: sa.esn,
    replayWindow: sa.replayWindow,
    lifetime: sa.lifetime,
    installedMs: now,
  };
}

export class SaLedger implements ChildSaInstaller {
  private readonly inner: ChildSaInstaller;
  private readonly clock: Clock;
  private readonly tunnels = new Map<string, MutableTunnel>();

  constructor(inner: ChildSaInstaller, clock: Clock) {
    this.inner = inner;
    this.clock = clock;
    inner.onEvent((e) => {
      if (e.kind === 'hard-expire') this.forget(e.tunnel, e.spi, e.direction);
    });
  }

  private entry(tunnel: string): MutableTunnel {
    let t = this.tunnels.get(tunnel);
    if (t === undefined) {
      t = { inbound: new Map(), outbound: null, path: null };
      this.tunnels.set(tunnel, t);
    }
    return t;
  }

  addInbound(tunnel: string, sa: ChildSaParams, path: EspPath): void {
    this.inner.addInbound(tunnel, sa, path);
    const t = this.entry(tunnel);
    t.inbound.set(sa.spi >>> 0, describe(sa, 'in', this.clock.now()));
    t.path ??= path;
  }

  setOutbound(tunnel: string, sa: ChildSaParams, path: EspPath): void {
    this.inner.setOutbound(tunnel, sa, path);
    const t = this.entry(tunnel);
    t.outbound = describe(sa, 'out', this.clock.now());
    t.path = path;
  }

  delete(tunnel: string, spi: number, direction: 'in' | 'out'): void {
    this.inner.delete(tunnel, spi, direction);
    this.forget(tunnel, spi, direction);
  }

  updatePath(tunnel: string, path: EspPath): void {
    this.inner.updatePath(tunnel, path);
    this.entry(tunnel).path = path;
  }

  counters(tunnel: string, spi: number, direction: 'in' | 'out'): SaCounters | null {
    return this.inner.counters(tunnel, spi, direction);
  }

  onEvent(listener: (event: ChildSaEvent) => void): void {
    this.inner.onEvent(listener);
  }

  /** The tunnel was removed from the data path: forget its SAs. */
  dropTunnel(tunnel: string): void {
    this.tunnels.delete(tunnel);
  }

  /** Installed SAs of one tunnel (empty when none). */
  tunnel(name: string): LedgerTunnel {
    const t = this.tunnels.get(name);
    if (t === undefined) return { inbound: [], outbound: null, path: null };
    return {
      inbound: [...t.inbound.values()].sort((a, b) => a.installedMs - b.installedMs),
      outbound: t.outbound,
      path: t.path,
    };
  }

  private forget(tunnel: string, spi: number, direction: 'in' | 'out'): void {
    const t = this.tunnels.get(tunnel);
    if (t === undefined) return;
    const key = spi >>> 0;
    if (direction === 'in') t.inbound.delete(key);
    else if (t.outbound?.spi === key) t.outbound = null;
  }
}
