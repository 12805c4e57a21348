/**
 * One VTI-like tunnel interface: a TUN device with its MTU and inside addresses, whose
 * administrative state follows the data plane ("line protocol"): up only while an outbound child
 * SA is installed, like a Catalyst VTI (`setLineProtocol`). The kernel flushes routes through a
 * device that goes down, and IPv6 addresses too (unless keep_addr_on_down), so coming up re-adds
 * the addresses; routes are the owner's business (see `onUp`).
 *
 * Link changes arrive synchronously from the data path; they are queued so the kernel sees them
 * in order, and `settled()` resolves when the queue is empty.
 */
import type { KernelPort } from '../kernel/port.js';
import type { Logger } from '../lib/log.js';
import { TunDevice } from './tun-device.js';

/** What the tunnel needs of an opened TUN device (TunDevice matches; tests pass socket pairs). */
export interface TunLike {
  readonly name: string;
  readonly fd: number;
  readonly vnetHdr: boolean;
  setMtu(mtu: number): void;
  close(): void;
}

export type TunOpener = (name: string) => TunLike;

/** The real opener: IFF_VNET_HDR (offloads split natively), falling back to a plain device. */
export function openTunDevice(name: string): TunLike {
  try {
    return TunDevice.open(name, { vnetHdr: true });
  } catch {
    return TunDevice.open(name, {});
  }
}

export interface TunnelInterfaceSpec {
  readonly name: string;
  readonly mtu: number;
  /** Inside addresses with prefix length, e.g. "169.254.21.1/30". */
  readonly addresses: readonly string[];
}

export class TunnelInterface {
  readonly name: string;
  readonly mtu: number;
  readonly addresses: readonly string[];
  readonly tun: TunLike;
  private readonly kernel: KernelPort;
  private readonly log: Logger;
  private queue: Promise<void> = Promise.resolve();
  private lineUp = false;
  private closed = false;
  private readonly upHooks: ((up: boolean) => Promise<void>)[] = [];

  private constructor(kernel: KernelPort, log: Logger, spec: TunnelInterfaceSpec, tun: TunLike) {
    this.kernel = kernel;
    this.log = log;
    this.name = spec.name;
    this.mtu = spec.mtu;
    this.addresses = spec.addresses;
    this.tun = tun;
  }

  /**
   * Open the TUN, set its MTU and inside addresses; it stays administratively down until
   * `setLineProtocol(true)`. On failure everything done so far is undone.
   */
  static async create(
    kernel: KernelPort,
    log: Logger,
    spec: TunnelInterfaceSpec,
    open: TunOpener = openTunDevice,
  ): Promise<TunnelInterface> {
    const tun = open(spec.name);
    const ti = new TunnelInterface(kernel, log, spec, tun);
    try {
      await kernel.setLinkUp(spec.name, false);
      await kernel.setLinkMtu(spec.name, spec.mtu);
      for (const a of spec.addresses) await kernel.addAddress(spec.name, a);
    } catch (err) {
      await ti.close();
      throw err;
    }
    return ti;
  }

  /** Line protocol: true while an outbound SA is installed. */
  get up(): boolean {
    return this.lineUp;
  }

  /** Called (in order, after the link change) with the new line protocol state. */
  onChange(hook: (up: boolean) => Promise<void>): void {
    this.upHooks.push(hook);
  }

  /** Follow the data plane; safe to call from a synchronous callback. */
  setLineProtocol(up: boolean): void {
    if (this.closed || up === this.lineUp) return;
    this.lineUp = up;
    this.enqueue(async () => {
      if (this.closed) return;
      await this.kernel.setLinkUp(this.name, up);
      if (up) for (const a of this.addresses) await this.kernel.addAddress(this.name, a);
      this.log.info({ ifname: this.name }, `line protocol ${up ? 'up' : 'down'}`);
      for (const h of this.upHooks) await h(up);
    });
  }

  /** Resolves when every queued link change has reached the kernel. */
  settled(): Promise<void> {
    return this.queue;
  }

  private enqueue(job: () => Promise<void>): void {
    this.queue = this.queue.then(job).catch((err: unknown) => {
      this.log.error({ err, ifname: this.name }, 'tunnel interface change failed');
    });
  }

  /** Remove the addresses and close the TUN (the interface disappears with it). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue;
    for (const a of this.addresses) {
      try {
        await this.kernel.deleteAddress(this.name, a);
      } catch {
        // The interface may already be gone; closing the TUN removes the rest.
      }
    }
    this.tun.close();
  }
}
