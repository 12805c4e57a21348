/**
 * A three-namespace underlay for tests: `inside` (a host behind a 1:1 NAT), `router` (forwarding,
 * iptables 1:1 NAT inside <-> public) and `outside` (the far peer on the "internet"). Rules as
 * in /work/shared/docs/peers-in-netns.md: DNAT public -> inside in PREROUTING, SNAT inside ->
 * public in POSTROUTING on the outside interface, ip_forward on.
 *
 *   <prefix>i  veth <prefix>i0 10.210.1.2/24 ── <prefix>ri 10.210.1.1/24
 *   <prefix>r  ip_forward, 1:1 NAT 10.210.1.2 <-> 203.0.113.2
 *   <prefix>o  veth <prefix>o0 198.51.100.2/24 ── <prefix>ro 198.51.100.1/24
 *
 * Everything is created in namespaces with the caller's unique prefix; `close()` deletes them
 * (veths go with them) and never throws.
 */
import { execFileSync } from 'node:child_process';

export function sh(args: readonly string[], input?: string): string {
  const [cmd, ...rest] = args;
  if (cmd === undefined) throw new Error('empty command');
  return execFileSync(cmd, rest, {
    encoding: 'utf8',
    stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    ...(input !== undefined ? { input } : {}),
  });
}

export interface NatRouterAddresses {
  readonly insideAddress: string;
  readonly insideGateway: string;
  readonly publicAddress: string;
  readonly outsideAddress: string;
  readonly outsideGateway: string;
}

export const NAT_ADDRESSES: NatRouterAddresses = {
  insideAddress: '10.210.1.2',
  insideGateway: '10.210.1.1',
  publicAddress: '203.0.113.2',
  outsideAddress: '198.51.100.2',
  outsideGateway: '198.51.100.1',
};

export class NatRouter {
  readonly inside: string;
  readonly router: string;
  readonly outside: string;
  /** Router-side interface names (for captures). */
  readonly routerInsideIf: string;
  readonly routerOutsideIf: string;
  readonly addr = NAT_ADDRESSES;
  private readonly created: string[] = [];

  constructor(prefix: string) {
    if (prefix.length > 10) throw new Error('namespace prefix too long (max 10 characters)');
    this.inside = `${prefix}i`;
    this.router = `${prefix}r`;
    this.outside = `${prefix}o`;
    this.routerInsideIf = `${prefix}ri`;
    this.routerOutsideIf = `${prefix}ro`;
  }

  /** Build the three namespaces; on failure what was created is removed again. */
  static create(prefix: string): NatRouter {
    const n = new NatRouter(prefix);
    try {
      n.setup();
    } catch (err) {
      n.close();
      throw err;
    }
    return n;
  }

  exec(ns: string, args: readonly string[], input?: string): string {
    return sh(['ip', 'netns', 'exec', ns, ...args], input);
  }

  private addNs(name: string): void {
    sh(['ip', 'netns', 'add', name]);
    this.created.push(name);
    this.exec(name, ['ip', 'link', 'set', 'lo', 'up']);
  }

  private veth(a: string, nsA: string, b: string, nsB: string): void {
    sh(['ip', 'link', 'add', a, 'netns', nsA, 'type', 'veth', 'peer', 'name', b, 'netns', nsB]);
    this.exec(nsA, ['ip', 'link', 'set', a, 'up']);
    this.exec(nsB, ['ip', 'link', 'set', b, 'up']);
  }

  private setup(): void {
    const a = this.addr;
    this.addNs(this.inside);
    this.addNs(this.router);
    this.addNs(this.outside);
    const insideIf = `${this.inside}0`;
    const outsideIf = `${this.outside}0`;
    this.veth(insideIf, this.inside, this.routerInsideIf, this.router);
    this.veth(outsideIf, this.outside, this.routerOutsideIf, this.router);
    this.exec(this.inside, ['ip', 'addr', 'add', `${a.insideAddress}/24`, 'dev', insideIf]);
    this.exec(this.inside, ['ip', 'route', 'add', 'default', 'via', a.insideGateway]);
    this.exec(this.outside, ['ip', 'addr', 'add', `${a.outsideAddress}/24`, 'dev', outsideIf]);
    this.exec(this.outside, ['ip', 'route', 'add', '203.0.113.0/24', 'via', a.outsideGateway]);
    this.exec(this.router, [
      'ip',
      'addr',
      'add',
      `${a.insideGateway}/24`,
      'dev',
      this.routerInsideIf,
    ]);
    this.exec(this.router, [
      'ip',
      'addr',
      'add',
      `${a.outsideGateway}/24`,
      'dev',
      this.routerOutsideIf,
    ]);
    this.exec(this.router, ['sysctl', '-qw', 'net.ipv4.ip_forward=1']);
    // veth passes GSO super-packets between namespaces unsegmented (a sender's UDP GSO batch
    // is one skb); gso_max_segs 1 makes the router segment on egress like a real wire, so an
    // egress capture on the router sees the datagrams a peer receives.
    for (const dev of [this.routerInsideIf, this.routerOutsideIf]) {
      this.exec(this.router, ['ip', 'link', 'set', 'dev', dev, 'gso_max_segs', '1']);
    }
    const ipt = (rule: string): void => {
      this.exec(this.router, ['iptables', ...rule.split(' ')]);
    };
    ipt(
      `-t nat -A PREROUTING -i ${this.routerOutsideIf} -d ${a.publicAddress} -j DNAT --to-destination ${a.insideAddress}`,
    );
    ipt(
      `-t nat -A POSTROUTING -o ${this.routerOutsideIf} -s ${a.insideAddress} -j SNAT --to-source ${a.publicAddress}`,
    );
  }

  /** Connection-tracking entries of the router (to check that the NAT really happened). */
  conntrack(): string {
    try {
      return this.exec(this.router, ['cat', '/proc/net/nf_conntrack']);
    } catch {
      return '';
    }
  }

  close(): void {
    for (const ns of [...this.created].reverse()) {
      try {
        sh(['ip', 'netns', 'del', ns]);
      } catch {
        // already gone
      }
    }
    this.created.length = 0;
  }
}
