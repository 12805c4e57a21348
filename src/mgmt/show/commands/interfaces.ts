/**
 * `show interfaces`: one line per interface the daemon cares about (lo and the interfaces it
 * manages), in the shape of Catalyst's `show ip interface brief`. Extra addresses of an interface
 * go on continuation lines below it.
 */
import type { AddressInfo, LinkInfo } from '../../../kernel/port.js';
import type { ShowCommand } from '../registry.js';
import { renderTable } from '../table.js';

export interface InterfaceAddressDto {
  readonly address: string;
  readonly prefixLength: number;
  readonly family: 4 | 6;
}

export interface InterfaceDto {
  readonly name: string;
  readonly ifindex: number;
  /** Administratively up (IFF_UP): Catalyst "Status". */
  readonly adminUp: boolean;
  /** Line protocol (carrier / IFF_RUNNING): Catalyst "Protocol". */
  readonly operUp: boolean;
  readonly mtu: number;
  /** Kernel link kind ("tun", "veth", ...) or null (lo, physical). */
  readonly kind: string | null;
  /** True when nvad manages addresses or state on this interface. */
  readonly managed: boolean;
  readonly addresses: readonly InterfaceAddressDto[];
}

/** JSON contract: docs/show-json.md#show-interfaces (stable). */
export interface InterfacesDto {
  readonly interfaces: readonly InterfaceDto[];
}

function toDto(
  link: LinkInfo,
  addrs: readonly AddressInfo[],
  managed: ReadonlySet<string>,
): InterfaceDto {
  const mine = addrs
    .filter((a) => a.ifindex === link.index)
    .sort((a, b) => a.family - b.family)
    .map((a) => ({ address: a.address, prefixLength: a.prefixLen, family: a.family }));
  return {
    name: link.name,
    ifindex: link.index,
    adminUp: link.up,
    operUp: link.up && link.running,
    mtu: link.mtu,
    kind: link.kind,
    managed: managed.has(link.name),
    addresses: mine,
  };
}

export const showInterfaces: ShowCommand<InterfacesDto> = {
  name: 'interfaces',
  summary: 'interface addresses and state (like show ip interface brief)',
  async collect(ctx) {
    const managed = new Set(ctx.managedInterfaces());
    managed.add('lo');
    const [links, addrs] = await Promise.all([ctx.kernel.listLinks(), ctx.kernel.listAddresses()]);
    const interfaces = links
      .filter((l) => managed.has(l.name))
      .sort((a, b) => a.index - b.index)
      .map((l) => toDto(l, addrs, new Set(ctx.managedInterfaces())));
    return { interfaces };
  },
  render(dto) {
    const rows: string[][] = [];
    for (const i of dto.interfaces) {
      const [first, ...rest] = i.addresses;
      rows.push([
        i.name,
        first ? `${first.address}/${first.prefixLength}` : 'unassigned',
        i.adminUp ? 'up' : 'administratively down',
        i.operUp ? 'up' : 'down',
        String(i.mtu),
      ]);
      for (const a of rest) rows.push(['', `${a.address}/${a.prefixLength}`]);
    }
    return renderTable(
      [
        { header: 'Interface', minWidth: 22 },
        { header: 'IP-Address', minWidth: 18 },
        { header: 'Status', minWidth: 21 },
        { header: 'Protocol', minWidth: 8 },
        { header: 'MTU', align: 'right' },
      ],
      rows,
    );
  },
};
