/**
 * A Linux TUN interface (IFF_TUN | IFF_NO_PI), opened through the native addon. With `vnetHdr` the
 * device is opened with IFF_VNET_HDR and TSO/USO offloads so the data path reads 64 KB
 * super-packets and splits them itself (native/src/datapath_gso.cc). MTU and up/down use ioctls
 * for now; the kernel module may do the same over rtnetlink.
 *
 * The file descriptor belongs to this object; the native data path reads and writes it from its
 * own threads once the device is attached to a tunnel.
 */
import { native } from '../native.js';

export interface TunOpenOptions {
  /** IFF_VNET_HDR + TUNSETOFFLOAD(CSUM|TSO4|TSO6[|USO4|USO6]). */
  readonly vnetHdr?: boolean;
  readonly multiQueue?: boolean;
  /** O_NONBLOCK (the data path sets it anyway). */
  readonly nonBlocking?: boolean;
}

interface TunAddon {
  tunOpen(
    name: string,
    options: TunOpenOptions,
  ): { fd: number; name: string; vnetHdr: boolean; offload: string };
  tunSetMtu(name: string, mtu: number): void;
  tunSetUp(name: string, up: boolean): void;
  tunRead(fd: number, buffer: Buffer): number;
  tunWrite(fd: number, packet: Buffer): number;
  fdClose(fd: number): void;
  fdSocketPair(): [number, number];
}

function tunAddon(): TunAddon {
  return native() as unknown as TunAddon;
}

export class TunDevice {
  readonly name: string;
  readonly vnetHdr: boolean;
  /** Offloads the kernel accepted: 'none', 'csum,tso' or 'csum,tso,uso'. */
  readonly offload: string;
  private fdValue: number;
  private readonly addon: TunAddon;

  private constructor(
    addon: TunAddon,
    fd: number,
    name: string,
    vnetHdr: boolean,
    offload: string,
  ) {
    this.addon = addon;
    this.fdValue = fd;
    this.name = name;
    this.vnetHdr = vnetHdr;
    this.offload = offload;
  }

  /** Create (or attach to) TUN interface `name`; needs CAP_NET_ADMIN. */
  static open(name: string, options: TunOpenOptions = {}): TunDevice {
    const addon = tunAddon();
    const r = addon.tunOpen(name, options);
    return new TunDevice(addon, r.fd, r.name, r.vnetHdr, r.offload);
  }

  /** The file descriptor, or -1 after close. */
  get fd(): number {
    return this.fdValue;
  }

  setMtu(mtu: number): void {
    this.addon.tunSetMtu(this.name, mtu);
  }

  setUp(up: boolean): void {
    this.addon.tunSetUp(this.name, up);
  }

  /** Read one packet (tests; non-blocking devices return -1 when empty). */
  read(buffer: Buffer): number {
    return this.addon.tunRead(this.fdValue, buffer);
  }

  /** Write one packet (tests). */
  write(packet: Buffer): number {
    return this.addon.tunWrite(this.fdValue, packet);
  }

  /**
   * A stand-in device for tests without root: a datagram socketpair whose first end plays the TUN
   * fd (one read = one packet) and whose second end (non-blocking) is returned as `peer` for the
   * test to inject and collect inner packets with read/write.
   */
  static socketPairForTests(name: string): { device: TunDevice; peer: TunDevice } {
    const addon = tunAddon();
    const [a, b] = addon.fdSocketPair();
    return {
      device: new TunDevice(addon, a, name, false, 'none'),
      peer: new TunDevice(addon, b, `${name}-peer`, false, 'none'),
    };
  }

  /** Close the descriptor; the interface disappears unless it was made persistent. */
  close(): void {
    if (this.fdValue >= 0) this.addon.fdClose(this.fdValue);
    this.fdValue = -1;
  }
}
