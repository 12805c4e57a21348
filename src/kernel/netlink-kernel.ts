/**
 * `KernelPort` over rtnetlink: one request socket (replies matched by sequence number, errno →
 * {@link KernelError}), dumps for list*, a batch API for bulk route installs, and a link watcher
 * on RTNLGRP_LINK. Messages are encoded in `netlink/`; the addon only moves bytes.
 */
import { formatIp, ipFromBytes, parseInterfaceAddress } from '../lib/index.js';
import { Errno, KernelError } from './errors.js';
import {
  AF_INET,
  AF_INET6,
  AF_UNSPEC,
  IFA_F_NODAD,
  Iff,
  NlmF,
  RtmType,
  RtnlGrp,
} from './netlink/constants.js';
import { decodeAddress, encodeAddress } from './netlink/address.js';
import { decodeLink, encodeLink, linkQuery, type LinkMessage } from './netlink/link.js';
import { decodeNexthop, encodeNexthop } from './netlink/nexthop.js';
import { encodeRule, decodeRule } from './netlink/rule.js';
import { encodeRoute } from './netlink/route.js';
import {
  NetlinkSocket,
  type BatchError,
  type NetlinkTransport,
  type Reply,
} from './netlink/socket.js';
import { NlWriter, type NlMsg } from './netlink/wire.js';
import { buildRouteMessage, decodeRouteInfo, familyToAf, type RouteTarget } from './route-spec.js';
import { nexthopMessage, nexthopSpecOf, ruleMessage, ruleOp, ruleSpecOf } from './specs.js';
import type {
  AddressInfo,
  Family,
  KernelPort,
  LinkInfo,
  NexthopSpec,
  RouteInfo,
  RouteSpec,
  RuleSpec,
} from './port.js';

export interface NetlinkKernelOptions {
  /** The addon's netlink functions (default: the real addon). */
  transport?: NetlinkTransport;
  /** Messages per send in batch APIs (default 1000). */
  batchSize?: number;
}

export interface BatchFailure<T> {
  readonly index: number;
  readonly spec: T;
  readonly error: KernelError;
}

export interface BatchResult<T> {
  readonly total: number;
  readonly failed: readonly BatchFailure<T>[];
}

export type LinkEventType = 'added' | 'changed' | 'removed';

export interface LinkEvent {
  readonly type: LinkEventType;
  readonly link: LinkInfo;
  /** The state before this event (null for a link first seen). */
  readonly previous: LinkInfo | null;
}

export interface LinkWatch {
  /** Resolves once the initial link table is known (events before it are 'added'). */
  readonly ready: Promise<void>;
  close(): void;
}

export interface NetlinkKernel extends KernelPort {
  /** Create-or-replace many routes, `batchSize` messages per send, every ACK collected. */
  replaceRoutes(specs: readonly RouteSpec[]): Promise<BatchResult<RouteSpec>>;
  /** Delete many routes (missing ones are not failures). */
  deleteRoutes(specs: readonly RouteDeleteSpec[]): Promise<BatchResult<RouteDeleteSpec>>;
  /** Link added/removed, admin up/down, carrier, MTU or name changes. */
  watchLinks(cb: (ev: LinkEvent) => void): LinkWatch;
}

export type RouteDeleteSpec = Pick<RouteSpec, 'table' | 'prefix' | 'protocol'> & {
  metric?: number;
};

const CREATE_REPLACE = NlmF.CREATE | NlmF.REPLACE;
const CREATE_EXCL = NlmF.CREATE | NlmF.EXCL;

export function linkInfoOf(m: LinkMessage): LinkInfo {
  return {
    index: m.index,
    name: m.name ?? '',
    up: (m.flags & Iff.UP) !== 0,
    running: (m.flags & Iff.LOWER_UP) !== 0,
    mtu: m.mtu ?? 0,
    kind: m.kind ?? null,
  };
}

function sameLink(a: LinkInfo, b: LinkInfo): boolean {
  return (
    a.name === b.name &&
    a.up === b.up &&
    a.running === b.running &&
    a.mtu === b.mtu &&
    a.kind === b.kind
  );
}

function fail(op: string, r: Reply & { ok: false }): KernelError {
  return new KernelError(op, r.errno, r.extAck);
}

function invalid(op: string, detail: string): KernelError {
  return new KernelError(op, Errno.EINVAL, null, detail);
}

/** Idempotency: errnos that mean "already in the wanted state" for a given operation. */
function okOrThrow(op: string, r: Reply, tolerated: readonly number[] = []): NlMsg[] {
  if (r.ok) return r.msgs;
  if (tolerated.includes(r.errno)) return [];
  throw fail(op, r);
}

const DELETE_OK = [Errno.ENOENT, Errno.ESRCH, Errno.EADDRNOTAVAIL];

export function createNetlinkKernel(opts: NetlinkKernelOptions = {}): NetlinkKernel {
  const transport = opts.transport;
  const batchSize = Math.max(1, opts.batchSize ?? 1000);
  const sock = new NetlinkSocket(transport ? { transport } : {});
  const watches = new Set<LinkWatch>();

  async function listLinks(): Promise<LinkInfo[]> {
    const r = await sock.request(RtmType.RTM_GETLINK, NlmF.DUMP, (w) => {
      encodeLink(w, linkQuery());
    });
    return okOrThrow('list links', r)
      .filter((m) => m.type === RtmType.RTM_NEWLINK)
      .map((m) => linkInfoOf(decodeLink(m.payload)));
  }

  async function getLink(name: string): Promise<LinkInfo | null> {
    const r = await sock.request(RtmType.RTM_GETLINK, 0, (w) => {
      encodeLink(w, linkQuery(name));
    });
    if (!r.ok && (r.errno === Errno.ENODEV || r.errno === Errno.EINVAL)) return null;
    const msg = okOrThrow(`get link ${name}`, r).find((m) => m.type === RtmType.RTM_NEWLINK);
    return msg ? linkInfoOf(decodeLink(msg.payload)) : null;
  }

  async function ifindex(name: string, op: string): Promise<number> {
    const l = await getLink(name);
    if (!l) throw new KernelError(op, Errno.ENODEV);
    return l.index;
  }

  async function setLink(op: string, name: string, m: Partial<LinkMessage>): Promise<void> {
    const r = await sock.request(RtmType.RTM_NEWLINK, 0, (w) => {
      encodeLink(w, { family: AF_UNSPEC, type: 0, index: 0, flags: 0, change: 0, name, ...m });
    });
    okOrThrow(op, r);
  }

  async function addressRequest(
    type: number,
    flags: number,
    ifname: string,
    cidr: string,
    op: string,
  ): Promise<Reply | null> {
    const a = parseInterfaceAddress(cidr);
    if (!a) throw invalid(op, 'not an address/prefix length');
    const link = await getLink(ifname);
    if (!link) {
      if (type === RtmType.RTM_DELADDR) return null;
      throw new KernelError(op, Errno.ENODEV);
    }
    return sock.request(type, flags, (w) => {
      encodeAddress(w, {
        family: familyToAf(a.addr.family),
        prefixLen: a.len,
        flags: 0,
        scope: 0,
        index: link.index,
        local: a.addr.bytes,
        address: a.addr.bytes,
        // IPv6: no duplicate address detection, so the address is usable (bindable) at once.
        ...(a.addr.family === 6 && type === RtmType.RTM_NEWADDR ? { extFlags: IFA_F_NODAD } : {}),
      });
    });
  }

  /** Interface indexes of the devices `specs` name (unknown names are simply absent). */
  async function resolveDevices(specs: readonly { dev?: string }[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    if (!specs.some((s) => s.dev !== undefined)) return out;
    for (const l of await listLinks()) out.set(l.name, l.index);
    return out;
  }

  async function names(): Promise<Map<number, string>> {
    return new Map((await listLinks()).map((l) => [l.index, l.name]));
  }

  /**
   * Encode and send `items` in chunks of `batchSize` messages per send. Only the last message of
   * a chunk asks for an ACK; failures come back as NLMSG_ERROR for their own seq (see
   * NetlinkSocket.expectRange), which keeps ACK traffic and receive-buffer use small.
   */
  async function batch<T>(
    items: readonly T[],
    type: number,
    flags: number,
    encode: (w: NlWriter, item: T) => void,
    opName: (item: T) => string,
    tolerated: readonly number[],
  ): Promise<BatchResult<T>> {
    const failed: BatchFailure<T>[] = [];
    const w = new NlWriter(64 * Math.min(items.length, batchSize) + 64);
    // Every chunk is sent before any reply is awaited (the kernel handles each send in full;
    // with CAP_ACK the replies are small and the receive buffer holds them all).
    const sent: { start: number; first: number; done: Promise<readonly BatchError[]> }[] = [];
    for (let start = 0; start < items.length; start += batchSize) {
      const end = Math.min(items.length, start + batchSize);
      const first = sock.nextSeqRange(end - start);
      w.pos = 0;
      let lastAt = -1;
      let lastSeq = -1;
      for (let i = start; i < end; i++) {
        const item = items[i] as T;
        const seq = first + (i - start);
        const at = w.beginMessage(type, flags | NlmF.REQUEST, seq);
        try {
          encode(w, item);
        } catch (e) {
          w.pos = at;
          const err = e instanceof KernelError ? e : invalid(opName(item), (e as Error).message);
          failed.push({ index: i, spec: item, error: err });
          continue;
        }
        w.endMessage(at);
        lastAt = at;
        lastSeq = seq;
      }
      if (lastAt < 0) continue;
      w.buf.writeUInt16LE(flags | NlmF.REQUEST | NlmF.ACK, lastAt + 6);
      const done = sock.expectRange(first, lastSeq);
      sock.send(w.buf.subarray(0, w.pos));
      sent.push({ start, first, done });
    }
    const replies = await Promise.all(sent.map((s) => s.done));
    for (let k = 0; k < sent.length; k++) {
      const { start, first } = sent[k] as (typeof sent)[number];
      for (const e of replies[k] ?? []) {
        if (tolerated.includes(e.errno)) continue;
        const i = start + (e.seq - first);
        const item = items[i] as T;
        failed.push({
          index: i,
          spec: item,
          error: new KernelError(opName(item), e.errno, e.extAck),
        });
      }
    }
    failed.sort((a, b) => a.index - b.index);
    return { total: items.length, failed };
  }

  function routeOp(verb: string, s: { prefix: string; table: number }): string {
    return `${verb} route ${s.prefix} table ${s.table}`;
  }

  async function replaceRoutes(specs: readonly RouteSpec[]): Promise<BatchResult<RouteSpec>> {
    const devs = await resolveDevices(specs);
    return batch(
      specs,
      RtmType.RTM_NEWROUTE,
      CREATE_REPLACE,
      (w, s) => {
        let target: RouteTarget = {};
        if (s.dev !== undefined) {
          const oif = devs.get(s.dev);
          if (oif === undefined) throw new KernelError(routeOp('replace', s), Errno.ENODEV);
          target = { oif };
        }
        buildRouteMessage(w, s, target, 'replace');
      },
      (s) => routeOp('replace', s),
      [],
    );
  }

  async function deleteRoutes(
    specs: readonly RouteDeleteSpec[],
  ): Promise<BatchResult<RouteDeleteSpec>> {
    return batch(
      specs,
      RtmType.RTM_DELROUTE,
      0,
      (w, s) => {
        buildRouteMessage(w, s, {}, 'delete');
      },
      (s) => routeOp('delete', s),
      DELETE_OK,
    );
  }

  function one<T>(r: BatchResult<T>): void {
    const f = r.failed[0];
    if (f) throw f.error;
  }

  function watchLinks(cb: (ev: LinkEvent) => void): LinkWatch {
    const known = new Map<number, LinkInfo>();
    let seeded = false;
    let closed = false;
    const apply = (link: LinkInfo): void => {
      const previous = known.get(link.index) ?? null;
      known.set(link.index, link);
      if (previous === null) {
        if (seeded) cb({ type: 'added', link, previous });
      } else if (!sameLink(previous, link)) {
        cb({ type: 'changed', link, previous });
      }
    };
    const onMsg = (m: NlMsg): void => {
      if (m.type !== RtmType.RTM_NEWLINK && m.type !== RtmType.RTM_DELLINK) return;
      let link: LinkInfo;
      try {
        link = linkInfoOf(decodeLink(m.payload));
      } catch {
        return;
      }
      if (m.type === RtmType.RTM_NEWLINK) {
        apply(link);
        return;
      }
      const previous = known.get(link.index) ?? null;
      known.delete(link.index);
      cb({ type: 'removed', link, previous });
    };
    // Full table from a dump: emit what changed since the last known state (after a
    // notification overflow, this is how lost events are recovered).
    const sync = async (): Promise<void> => {
      const r = await ws.request(RtmType.RTM_GETLINK, NlmF.DUMP, (w) => {
        encodeLink(w, linkQuery());
      });
      if (closed) return;
      const seen = new Set<number>();
      for (const m of okOrThrow('list links', r)) {
        if (m.type !== RtmType.RTM_NEWLINK) continue;
        const l = linkInfoOf(decodeLink(m.payload));
        seen.add(l.index);
        apply(l);
      }
      if (seeded) {
        for (const [index, l] of known) {
          if (seen.has(index)) continue;
          known.delete(index);
          cb({ type: 'removed', link: l, previous: l });
        }
      }
      seeded = true;
    };
    const ws: NetlinkSocket = new NetlinkSocket({
      ...(transport ? { transport } : {}),
      groups: [RtnlGrp.RTNLGRP_LINK],
      onNotification: onMsg,
      onError: () => {
        // ENOBUFS: notifications were dropped; resynchronise from a dump.
        if (!closed) sync().catch(() => undefined);
      },
    });
    const ready = sync();
    // Callers may not await `ready`; a failed first dump must not become an unhandled rejection.
    ready.catch(() => undefined);
    const watch: LinkWatch = {
      ready,
      close() {
        closed = true;
        watches.delete(watch);
        ws.close();
      },
    };
    watches.add(watch);
    return watch;
  }

  return {
    listLinks,
    getLink,
    async setLinkUp(name, up) {
      await setLink(`set link ${name} ${up ? 'up' : 'down'}`, name, {
        flags: up ? Iff.UP : 0,
        change: Iff.UP,
      });
    },
    async setLinkMtu(name, mtu) {
      await setLink(`set mtu ${mtu} on ${name}`, name, { mtu });
    },

    async listAddresses(ifname?: string): Promise<AddressInfo[]> {
      const [r, byIndex] = await Promise.all([
        sock.request(RtmType.RTM_GETADDR, NlmF.DUMP, (w) => {
          encodeAddress(w, { family: AF_UNSPEC, prefixLen: 0, flags: 0, scope: 0, index: 0 });
        }),
        names(),
      ]);
      const out: AddressInfo[] = [];
      for (const m of okOrThrow('list addresses', r)) {
        if (m.type !== RtmType.RTM_NEWADDR) continue;
        const a = decodeAddress(m.payload);
        if (a.family !== AF_INET && a.family !== AF_INET6) continue;
        const bytes = a.family === AF_INET ? (a.local ?? a.address) : (a.address ?? a.local);
        if (!bytes) continue;
        const name = byIndex.get(a.index) ?? '';
        if (ifname !== undefined && name !== ifname) continue;
        out.push({
          ifindex: a.index,
          ifname: name,
          family: a.family === AF_INET ? 4 : 6,
          address: formatIp(ipFromBytes(bytes)),
          prefixLen: a.prefixLen,
        });
      }
      return out;
    },

    async addAddress(ifname, cidr) {
      const op = `add address ${cidr} on ${ifname}`;
      const r = await addressRequest(RtmType.RTM_NEWADDR, CREATE_EXCL, ifname, cidr, op);
      if (r) okOrThrow(op, r, [Errno.EEXIST]);
    },

    async deleteAddress(ifname, cidr) {
      const op = `delete address ${cidr} on ${ifname}`;
      const r = await addressRequest(RtmType.RTM_DELADDR, 0, ifname, cidr, op);
      if (r) okOrThrow(op, r, [...DELETE_OK, Errno.ENODEV]);
    },

    async replaceNexthop(spec: NexthopSpec) {
      const op = `replace nexthop ${spec.id}`;
      const oif = spec.dev !== undefined ? await ifindex(spec.dev, op) : undefined;
      const m = nexthopMessage(spec, oif, op);
      const r = await sock.request(RtmType.RTM_NEWNEXTHOP, CREATE_REPLACE, (w) => {
        encodeNexthop(w, m);
      });
      okOrThrow(op, r);
    },

    async deleteNexthop(id) {
      const r = await sock.request(RtmType.RTM_DELNEXTHOP, 0, (w) => {
        encodeNexthop(w, { family: AF_UNSPEC, scope: 0, protocol: 0, flags: 0, id });
      });
      okOrThrow(`delete nexthop ${id}`, r, DELETE_OK);
    },

    async listNexthops(filter = {}) {
      const [r, byIndex] = await Promise.all([
        sock.request(RtmType.RTM_GETNEXTHOP, NlmF.DUMP, (w) => {
          encodeNexthop(w, { family: AF_UNSPEC, scope: 0, protocol: 0, flags: 0 });
        }),
        names(),
      ]);
      const out: NexthopSpec[] = [];
      for (const m of okOrThrow('list nexthops', r)) {
        if (m.type !== RtmType.RTM_NEWNEXTHOP) continue;
        const nh = decodeNexthop(m.payload);
        if (filter.protocol !== undefined && nh.protocol !== filter.protocol) continue;
        out.push(nexthopSpecOf(nh, byIndex));
      }
      return out;
    },

    async replaceRoute(spec) {
      one(await replaceRoutes([spec]));
    },
    async deleteRoute(spec) {
      one(await deleteRoutes([spec]));
    },

    async listRoutes(filter = {}) {
      const family = filter.family === undefined ? AF_UNSPEC : familyToAf(filter.family);
      const [r, byIndex] = await Promise.all([
        // Table and protocol in the request let the kernel filter (NETLINK_GET_STRICT_CHK);
        // the same filters are applied below for kernels that ignore them.
        sock.request(RtmType.RTM_GETROUTE, NlmF.DUMP, (w) => {
          encodeRoute(w, {
            family,
            dstLen: 0,
            srcLen: 0,
            tos: 0,
            table: filter.table ?? 0,
            protocol: filter.protocol ?? 0,
            scope: 0,
            type: 0,
            flags: 0,
          });
        }),
        names(),
      ]);
      const out: RouteInfo[] = [];
      // A filtered dump of a table that does not exist fails with ENOENT: no routes.
      for (const m of okOrThrow(
        'list routes',
        r,
        filter.table !== undefined ? [Errno.ENOENT] : [],
      )) {
        if (m.type !== RtmType.RTM_NEWROUTE) continue;
        const info = decodeRouteInfo(m.payload, byIndex);
        if (!info) continue;
        if (filter.table !== undefined && info.table !== filter.table) continue;
        if (filter.protocol !== undefined && info.protocol !== filter.protocol) continue;
        out.push(info);
      }
      return out;
    },

    async addRule(spec) {
      const op = ruleOp('add', spec);
      const r = await sock.request(RtmType.RTM_NEWRULE, CREATE_EXCL, (w) => {
        encodeRule(w, ruleMessage(spec, op));
      });
      okOrThrow(op, r, [Errno.EEXIST]);
    },

    async deleteRule(spec) {
      const op = ruleOp('delete', spec);
      const r = await sock.request(RtmType.RTM_DELRULE, 0, (w) => {
        encodeRule(w, ruleMessage(spec, op));
      });
      okOrThrow(op, r, DELETE_OK);
    },

    async listRules(family: Family) {
      const r = await sock.request(RtmType.RTM_GETRULE, NlmF.DUMP, (w) => {
        encodeRule(w, {
          family: familyToAf(family),
          dstLen: 0,
          srcLen: 0,
          tos: 0,
          table: 0,
          action: 0,
          flags: 0,
        });
      });
      const out: RuleSpec[] = [];
      for (const m of okOrThrow('list rules', r)) {
        if (m.type !== RtmType.RTM_NEWRULE) continue;
        out.push(ruleSpecOf(decodeRule(m.payload), family));
      }
      return out;
    },

    replaceRoutes,
    deleteRoutes,
    watchLinks,

    close() {
      for (const w of [...watches]) w.close();
      sock.close();
    },
  };
}
