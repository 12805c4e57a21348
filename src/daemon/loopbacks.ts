/**
 * Loopback addresses on `lo` (e.g. the APIPA BGP source 169.254.21.1/32). Addresses that already
 * existed before nvad started are adopted but never removed; addresses nvad added are removed on
 * stop or when a reload drops them.
 */
import type { Config } from '../config/index.js';
import type { KernelPort } from '../kernel/port.js';
import { canonicalIp, parseInterfaceAddress } from '../lib/ip/index.js';
import type { Logger } from '../lib/log.js';
import type { ComponentStatus } from '../mgmt/show/context.js';
import type { Component } from './component.js';
import type { ConfigDiff } from './config-port.js';
import { MemoryOwnershipStore, type OwnershipStore } from './ownership.js';

const OWNERSHIP_KIND = 'loopbacks';

export const LOOPBACK_IFNAME = 'lo';

/** Canonical "address/len" for comparing config text with kernel dumps. */
export function loopbackKey(cidr: string): string {
  const a = parseInterfaceAddress(cidr);
  if (!a) throw new Error(`invalid loopback address ${cidr}`);
  const slash = cidr.lastIndexOf('/');
  const addr = canonicalIp(cidr.slice(0, slash)) ?? cidr.slice(0, slash);
  return `${addr}/${a.len}`;
}

export interface LoopbacksOptions {
  readonly kernel: KernelPort;
  readonly logger: Logger;
  readonly ifname?: string;
  /** Persists which addresses nvad added, to clean up after a crash (default: not persisted). */
  readonly ownership?: OwnershipStore;
}

export class LoopbackComponent implements Component {
  readonly name = 'loopbacks';
  private readonly kernel: KernelPort;
  private readonly log: Logger;
  private readonly ifname: string;
  private readonly ownership: OwnershipStore;
  /** Desired addresses (canonical keys) from the running configuration. */
  private desired = new Set<string>();
  /** Addresses nvad added and must remove again. */
  private readonly created = new Set<string>();
  /** Configured addresses that were present before nvad touched them. */
  private readonly adopted = new Set<string>();
  private state: ComponentStatus['state'] = 'stopped';
  private lastError = '';

  constructor(opts: LoopbacksOptions) {
    this.kernel = opts.kernel;
    this.log = opts.logger.child({ mod: 'loopbacks' });
    this.ifname = opts.ifname ?? LOOPBACK_IFNAME;
    this.ownership = opts.ownership ?? new MemoryOwnershipStore();
  }

  async start(config: Config): Promise<void> {
    this.state = 'starting';
    try {
      const link = await this.kernel.getLink(this.ifname);
      if (!link) throw new Error(`interface ${this.ifname} not found`);
      if (!link.up) {
        await this.kernel.setLinkUp(this.ifname, true);
        this.log.info({ ifname: this.ifname }, 'interface set up');
      }
      const wanted = config.loopbacks.map(loopbackKey);
      await this.reclaimLeftovers(wanted);
      await this.addAll(wanted);
      this.state = 'running';
    } catch (err) {
      this.state = 'failed';
      this.lastError = err instanceof Error ? err.message : String(err);
      await this.removeCreated();
      throw err;
    }
  }

  async apply(_diff: ConfigDiff, next: Config): Promise<void> {
    const wanted = new Set(next.loopbacks.map(loopbackKey));
    const removed = [...this.desired].filter((k) => !wanted.has(k));
    const added = [...wanted].filter((k) => !this.desired.has(k));
    for (const key of removed) {
      this.desired.delete(key);
      if (this.created.has(key)) {
        await this.kernel.deleteAddress(this.ifname, key);
        this.created.delete(key);
        this.persist();
        this.log.info({ ifname: this.ifname, address: key }, 'loopback address removed');
      } else if (this.adopted.delete(key)) {
        this.log.info(
          { ifname: this.ifname, address: key },
          'loopback address released (pre-existing, kept)',
        );
      }
    }
    await this.addAll(added);
    if (removed.length === 0 && added.length === 0) this.log.debug('loopbacks unchanged');
  }

  async stop(): Promise<void> {
    await this.removeCreated();
    this.desired.clear();
    this.adopted.clear();
    this.state = 'stopped';
  }

  status(): ComponentStatus {
    const n = this.desired.size;
    const detail =
      this.state === 'failed'
        ? this.lastError
        : `${n} loopback address${n === 1 ? '' : 'es'} on ${this.ifname} (${this.created.size} added by nvad)`;
    return { name: this.name, state: this.state, detail };
  }

  interfaces(): readonly string[] {
    return [this.ifname];
  }

  /** Addresses nvad added (canonical keys), for tests and shutdown checks. */
  createdAddresses(): readonly string[] {
    return [...this.created].sort();
  }

  /**
   * Addresses a previous instance added but did not remove (it crashed): those still configured
   * are ours again (removed on stop); the others are removed now.
   */
  private async reclaimLeftovers(wanted: readonly string[]): Promise<void> {
    const previous = this.ownership.loadPrevious(OWNERSHIP_KIND);
    if (previous.length === 0) return;
    const present = new Set(
      (await this.kernel.listAddresses(this.ifname)).map((a) =>
        loopbackKey(`${a.address}/${a.prefixLen}`),
      ),
    );
    for (const key of previous) {
      if (!present.has(key)) continue;
      if (wanted.includes(key)) {
        this.created.add(key);
        this.log.info(
          { ifname: this.ifname, address: key },
          'loopback address left by a previous run, reclaimed',
        );
      } else {
        await this.kernel.deleteAddress(this.ifname, key);
        this.log.info(
          { ifname: this.ifname, address: key },
          'loopback address left by a previous run, removed',
        );
      }
    }
    this.persist();
  }

  private persist(): void {
    this.ownership.save(OWNERSHIP_KIND, [...this.created].sort());
  }

  private async addAll(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    const present = new Set(
      (await this.kernel.listAddresses(this.ifname)).map((a) =>
        loopbackKey(`${a.address}/${a.prefixLen}`),
      ),
    );
    for (const key of keys) {
      this.desired.add(key);
      if (present.has(key)) {
        if (!this.created.has(key)) {
          this.adopted.add(key);
          this.log.info(
            { ifname: this.ifname, address: key },
            'loopback address already present, adopted',
          );
        }
        continue;
      }
      // Recorded before the call: a crash in between must not leak an untracked address.
      this.created.add(key);
      this.persist();
      await this.kernel.addAddress(this.ifname, key);
      this.log.info({ ifname: this.ifname, address: key }, 'loopback address added');
    }
  }

  private async removeCreated(): Promise<void> {
    for (const key of [...this.created]) {
      try {
        await this.kernel.deleteAddress(this.ifname, key);
        this.created.delete(key);
        this.persist();
        this.log.info({ ifname: this.ifname, address: key }, 'loopback address removed');
      } catch (err) {
        this.log.error(
          { err, ifname: this.ifname, address: key },
          'failed to remove loopback address',
        );
      }
    }
  }
}
