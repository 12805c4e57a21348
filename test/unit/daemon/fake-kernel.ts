/** A small in-memory KernelPort for daemon/mgmt unit tests: links and addresses, recording calls. */
import type { AddressInfo, KernelPort, LinkInfo } from '../../../src/kernel/port.js';
import { canonicalIp } from '../../../src/lib/ip/index.js';

export class MemoryKernel implements KernelPort {
  readonly links = new Map<string, { -readonly [K in keyof LinkInfo]: LinkInfo[K] }>();
  readonly addrs: AddressInfo[] = [];
  readonly calls: string[] = [];
  failAdd: string | null = null;
  closed = false;

  constructor() {
    this.addLink({ index: 1, name: 'lo', up: true, running: true, mtu: 65536, kind: null });
    this.addrs.push({ ifindex: 1, ifname: 'lo', family: 4, address: '127.0.0.1', prefixLen: 8 });
    this.addrs.push({ ifindex: 1, ifname: 'lo', family: 6, address: '::1', prefixLen: 128 });
  }

  addLink(l: LinkInfo): void {
    this.links.set(l.name, { ...l });
  }

  addressesOf(ifname: string): string[] {
    return this.addrs.filter((a) => a.ifname === ifname).map((a) => `${a.address}/${a.prefixLen}`);
  }

  listLinks(): Promise<LinkInfo[]> {
    return Promise.resolve([...this.links.values()].map((l) => ({ ...l })));
  }
  getLink(name: string): Promise<LinkInfo | null> {
    const l = this.links.get(name);
    return Promise.resolve(l ? { ...l } : null);
  }
  setLinkUp(name: string, up: boolean): Promise<void> {
    this.calls.push(`link ${name} ${up ? 'up' : 'down'}`);
    const l = this.links.get(name);
    if (!l) return Promise.reject(new Error(`no link ${name}`));
    l.up = up;
    return Promise.resolve();
  }
  setLinkMtu(name: string, mtu: number): Promise<void> {
    const l = this.links.get(name);
    if (!l) return Promise.reject(new Error(`no link ${name}`));
    l.mtu = mtu;
    return Promise.resolve();
  }
  listAddresses(ifname?: string): Promise<AddressInfo[]> {
    return Promise.resolve(this.addrs.filter((a) => ifname === undefined || a.ifname === ifname));
  }
  addAddress(ifname: string, cidr: string): Promise<void> {
    this.calls.push(`add ${ifname} ${cidr}`);
    if (this.failAdd === cidr)
      return Promise.reject(new Error(`add address ${cidr} on ${ifname}: Permission denied`));
    const link = this.links.get(ifname);
    if (!link) return Promise.reject(new Error(`no link ${ifname}`));
    const [addr = '', len = ''] = cidr.split('/');
    const address = canonicalIp(addr) ?? addr;
    const prefixLen = Number(len);
    if (
      !this.addrs.some(
        (a) => a.ifname === ifname && a.address === address && a.prefixLen === prefixLen,
      )
    ) {
      this.addrs.push({
        ifindex: link.index,
        ifname,
        family: address.includes(':') ? 6 : 4,
        address,
        prefixLen,
      });
    }
    return Promise.resolve();
  }
  deleteAddress(ifname: string, cidr: string): Promise<void> {
    this.calls.push(`del ${ifname} ${cidr}`);
    const [addr = '', len = ''] = cidr.split('/');
    const address = canonicalIp(addr) ?? addr;
    const i = this.addrs.findIndex(
      (a) => a.ifname === ifname && a.address === address && a.prefixLen === Number(len),
    );
    if (i >= 0) this.addrs.splice(i, 1);
    return Promise.resolve();
  }
  replaceNexthop(): Promise<void> {
    return Promise.reject(new Error('not modelled'));
  }
  deleteNexthop(): Promise<void> {
    return Promise.reject(new Error('not modelled'));
  }
  listNexthops(): Promise<never[]> {
    return Promise.resolve([]);
  }
  replaceRoute(): Promise<void> {
    return Promise.reject(new Error('not modelled'));
  }
  deleteRoute(): Promise<void> {
    return Promise.reject(new Error('not modelled'));
  }
  listRoutes(): Promise<never[]> {
    return Promise.resolve([]);
  }
  addRule(): Promise<void> {
    return Promise.reject(new Error('not modelled'));
  }
  deleteRule(): Promise<void> {
    return Promise.reject(new Error('not modelled'));
  }
  listRules(): Promise<never[]> {
    return Promise.resolve([]);
  }
  close(): void {
    this.closed = true;
  }
}
