/**
 * Render a normalised `Config` back to YAML (kebab-case keys, durations as "Ns", every default
 * spelled out, every secret as `<redacted>`). This is what `nvad check-config` prints and what
 * `show running-config` serves; the output loads again to the same configuration (with literal
 * `<redacted>` secrets).
 */
import { Document, isScalar, visit } from 'yaml';
import { REDACTED, type Secret } from './secret.js';
import type {
  BgpConfig,
  BgpNeighbor,
  BgpTimers,
  Config,
  IkePolicy,
  IpsecPolicy,
  ManualSa,
  TunnelConfig,
} from './types.js';

type Plain = string | number | boolean | null | Plain[] | { [k: string]: Plain };
type Obj = Record<string, Plain | undefined>;

const sec = (n: number): string => `${n}s`;
const redact = (s: Secret | null | undefined): string | undefined =>
  s === null || s === undefined ? undefined : REDACTED;

/** Drop undefined members so YAML shows only what is set. */
function clean(o: Obj): { [k: string]: Plain } {
  const out: { [k: string]: Plain } = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out;
}

function ikePolicy(p: IkePolicy): Plain {
  return {
    proposals: p.proposals.map((pr) =>
      clean({
        encryption: [...pr.encryption],
        integrity: pr.integrity.length > 0 ? [...pr.integrity] : undefined,
        prf: [...pr.prf],
        'dh-group': [...pr.dhGroup],
      }),
    ),
    lifetime: sec(p.lifetimeSec),
  };
}

function ipsecPolicy(p: IpsecPolicy): Plain {
  return {
    proposals: p.proposals.map((pr) =>
      clean({
        encryption: [...pr.encryption],
        integrity: pr.integrity.length > 0 ? [...pr.integrity] : undefined,
        'pfs-group': pr.pfsGroup ?? 'none',
      }),
    ),
    lifetime: sec(p.lifetimeSec),
    'lifetime-kilobytes': p.lifetimeKilobytes,
    'replay-window': p.replayWindow,
    esn: p.esn,
  };
}

function manualSa(m: ManualSa): Plain {
  return clean({
    'spi-in': m.spiIn,
    'spi-out': m.spiOut,
    encryption: m.encryption,
    integrity: m.integrity ?? undefined,
    'key-in': REDACTED,
    'key-out': REDACTED,
    'integrity-key-in': redact(m.integrityKeyIn),
    'integrity-key-out': redact(m.integrityKeyOut),
    esn: m.esn,
    'udp-encap': m.udpEncap,
    'remote-port': m.remotePort,
  });
}

function tunnel(t: TunnelConfig): Plain {
  return clean({
    name: t.name,
    'local-address': t.localAddress,
    'public-address': t.publicAddress,
    peer: t.peer,
    psk: redact(t.psk),
    'ike-policy': t.azurePolicy === null ? (t.ikePolicy ?? undefined) : undefined,
    'ipsec-policy': t.azurePolicy === null ? (t.ipsecPolicy ?? undefined) : undefined,
    'azure-policy': t.azurePolicy ?? undefined,
    address: t.address,
    ipv6: t.ipv6,
    mtu: t.mtu,
    'tcp-mss': t.tcpMss,
    dpd: { interval: sec(t.dpd.intervalSec), retries: t.dpd.retries, mode: t.dpd.mode },
    initiate: t.initiate,
    'routing-context': t.routingContext,
    'local-id': t.localId.value,
    'remote-id': t.remoteId.value,
    'nat-keepalive': sec(t.natKeepaliveSec),
    'manual-sa': t.manualSa ? manualSa(t.manualSa) : undefined,
  });
}

const timers = (t: BgpTimers): Plain => ({ keepalive: sec(t.keepaliveSec), hold: sec(t.holdSec) });

function neighbor(n: BgpNeighbor, global: BgpTimers): Plain {
  const sameTimers =
    n.timers.holdSec === global.holdSec && n.timers.keepaliveSec === global.keepaliveSec;
  return clean({
    address: n.address,
    'remote-as': n.remoteAs,
    description: n.description,
    'update-source': n.updateSource,
    'ebgp-multihop': n.ebgpMultihop,
    passive: n.passive,
    'as-override': n.asOverride,
    'allowas-in': n.allowasIn > 0 ? n.allowasIn : undefined,
    'next-hop-self': n.nextHopSelf,
    'max-prefixes': n.maxPrefixes
      ? {
          limit: n.maxPrefixes.limit,
          action: n.maxPrefixes.action,
          ...(n.maxPrefixes.thresholdPercent !== undefined
            ? { threshold: n.maxPrefixes.thresholdPercent }
            : {}),
          ...(n.maxPrefixes.restartSec !== undefined
            ? { restart: `${n.maxPrefixes.restartSec}s` }
            : {}),
        }
      : undefined,
    'max-prefixes-out': n.maxPrefixesOut,
    'routing-context': n.routingContext,
    timers: sameTimers ? undefined : timers(n.timers),
    'route-map-in': n.routeMapIn,
    'route-map-out': n.routeMapOut,
    'prefix-list-in': n.prefixListIn,
    'prefix-list-out': n.prefixListOut,
    shutdown: n.shutdown,
    'address-families': [...n.addressFamilies],
  });
}

function bgp(b: BgpConfig): Plain {
  const prefixLists: { [k: string]: Plain } = {};
  for (const [name, entries] of Object.entries(b.prefixLists)) {
    prefixLists[name] = entries.map((e) =>
      clean({ seq: e.seq, action: e.action, prefix: e.prefix, ge: e.ge, le: e.le }),
    );
  }
  const routeMaps: { [k: string]: Plain } = {};
  for (const [name, entries] of Object.entries(b.routeMaps)) {
    routeMaps[name] = entries.map((e) => {
      const match = clean({
        'prefix-list': e.match.prefixList,
        community: e.match.community,
        'as-path': e.match.asPath,
      });
      const set = clean({
        'as-path-prepend': e.set.asPathPrepend ? [...e.set.asPathPrepend] : undefined,
        med: e.set.med,
        'local-pref': e.set.localPref,
        community: e.set.community ? [...e.set.community] : undefined,
        'community-additive': e.set.communityAdditive ? true : undefined,
      });
      return clean({
        seq: e.seq,
        action: e.action,
        match: Object.keys(match).length > 0 ? match : undefined,
        set: Object.keys(set).length > 0 ? set : undefined,
      });
    });
  }
  return clean({
    asn: b.asn,
    'router-id': b.routerId,
    'maximum-paths': b.maximumPaths,
    timers: timers(b.timers),
    networks: [...b.networks],
    redistribute: [...b.redistribute],
    'prefix-lists': Object.keys(prefixLists).length > 0 ? prefixLists : undefined,
    'route-maps': Object.keys(routeMaps).length > 0 ? routeMaps : undefined,
    neighbors: b.neighbors.map((n) => neighbor(n, b.timers)),
  });
}

/** The normalised configuration as a plain kebab-case object with secrets redacted. */
export function configToPlain(c: Config): { [k: string]: Plain } {
  const ike: { [k: string]: Plain } = {};
  for (const p of Object.values(c.crypto.ikePolicies))
    if (!p.name.startsWith('azure:')) ike[p.name] = ikePolicy(p);
  const ipsec: { [k: string]: Plain } = {};
  for (const p of Object.values(c.crypto.ipsecPolicies))
    if (!p.name.startsWith('azure:')) ipsec[p.name] = ipsecPolicy(p);
  const azure: { [k: string]: Plain } = {};
  for (const a of Object.values(c.crypto.azurePolicies)) {
    azure[a.name] = {
      ikeEncryption: a.ikeEncryption,
      ikeIntegrity: a.ikeIntegrity,
      dhGroup: a.dhGroup,
      ipsecEncryption: a.ipsecEncryption,
      ipsecIntegrity: a.ipsecIntegrity,
      pfsGroup: a.pfsGroup,
      saLifeTimeSeconds: a.saLifeTimeSeconds,
      saDataSizeKilobytes: a.saDataSizeKilobytes,
    };
  }
  const contexts: { [k: string]: Plain } = {};
  for (const ctx of Object.values(c.routingContexts)) {
    contexts[ctx.name] = clean({ table: ctx.table, priority: ctx.priority });
  }
  const listen = c.api.listen.host.includes(':')
    ? `[${c.api.listen.host}]:${c.api.listen.port}`
    : `${c.api.listen.host}:${c.api.listen.port}`;
  return clean({
    node: { name: c.node.name },
    underlay: clean({
      'local-address': c.underlay.localAddress,
      'public-address': c.underlay.publicAddress,
    }),
    loopbacks: [...c.loopbacks],
    crypto: clean({
      'ike-policies': Object.keys(ike).length > 0 ? ike : undefined,
      'ipsec-policies': Object.keys(ipsec).length > 0 ? ipsec : undefined,
      'azure-policies': Object.keys(azure).length > 0 ? azure : undefined,
    }),
    'routing-contexts': Object.keys(contexts).length > 0 ? contexts : undefined,
    tunnels: c.tunnels.map(tunnel),
    'static-routes': c.staticRoutes.map((r) =>
      clean({
        prefix: r.prefix,
        via: r.via.length > 0 ? [...r.via] : undefined,
        'next-hop': r.nextHop,
        'routing-context': r.routingContext,
        distance: r.distance,
      }),
    ),
    bgp: c.bgp ? bgp(c.bgp) : undefined,
    api: clean({ listen, 'token-file': c.api.tokenFile }),
    log: { level: c.log.level },
  });
}

/** YAML text of the normalised configuration, secrets redacted. */
export function renderConfig(c: Config): string {
  const doc = new Document(configToPlain(c));
  // Short scalar lists read better inline: `encryption: [aes-gcm-256]`, `via: [Tunnel0, Tunnel1]`.
  // Small leaf maps inside sections too: `dpd: { interval: 40s, retries: 2, mode: on-demand }`.
  visit(doc, {
    Seq(_key, node) {
      if (node.items.every((i) => isScalar(i))) node.flow = true;
    },
    Map(_key, node, path) {
      const leafy = node.items.length <= 3 && node.items.every((p) => isScalar(p.value));
      if (leafy && path.length > 3) node.flow = true;
    },
  });
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}
