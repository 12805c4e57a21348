/**
 * Parsed file → typed `Config`: fills defaults, translates Azure policies, resolves references and
 * runs the semantic checks. Every problem becomes a `ConfigIssue` at the YAML path of the node it
 * is about; all problems are reported together.
 */
import { INTEGRITY, espEncKeyBytes, isAead } from '../crypto/transforms.js';
import type { IntegrityName, PrfName } from '../crypto/transforms.js';
import { parseIp } from '../lib/ip/addr.js';
import {
  parseInterfaceAddress,
  parsePrefix,
  prefixesOverlap,
  type Prefix,
} from '../lib/ip/prefix.js';
import { translateAzurePolicy } from './azure.js';
import { normalizeBgp } from './normalize-bgp.js';
import { expectedName } from './hint.js';
import { Issues, checkContextRef, type Path } from './issues.js';
import type { ParsedConfig } from './schema.js';
import { resolveSecret, type Secret, type SecretSource } from './secret.js';
import type {
  AzurePolicy,
  Config,
  ConfigIssue,
  IkePolicy,
  IkeProposal,
  IpsecPolicy,
  IpsecProposal,
  ManualSa,
  RoutingContext,
  StaticRoute,
  TunnelConfig,
} from './types.js';

export const DEFAULTS = {
  ikeLifetimeSec: 28800,
  ipsecLifetimeSec: 27000,
  ipsecLifetimeKilobytes: 102400000,
  replayWindow: 1024,
  mtu: 1400,
  dpdIntervalSec: 10,
  dpdRetries: 3,
  natKeepaliveSec: 20,
  apiHost: '127.0.0.1',
  apiPort: 9180,
  staticDistance: 1,
  autoTableBase: 1000,
} as const;

export const MINIMUMS = { ikeLifetimeSec: 120, childLifetimeSec: 60, kilobytes: 1024 } as const;

/** Outcome of normalisation: the config (meaningful only when `issues` is empty) and problems. */
export interface Normalized {
  readonly config: Config;
  readonly issues: readonly ConfigIssue[];
}

function nameProblem(name: string): string | null {
  return /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/.test(name)
    ? null
    : `${JSON.stringify(name)} is not a valid name (expected letters, digits, "_", ".", ":", "-")`;
}

function checkGcmMix(
  p: { encryption: readonly string[]; integrity?: readonly string[] | undefined },
  path: Path,
  issues: Issues,
): { aead: boolean } {
  const aeadFlags = p.encryption.map((e) => e.startsWith('aes-gcm'));
  const aead = aeadFlags.every(Boolean);
  if (!aead && aeadFlags.some(Boolean)) {
    issues.add(
      [...path, 'encryption'],
      'mixes GCM and CBC algorithms (expected separate proposals for GCM and CBC)',
    );
  } else if (aead && (p.integrity?.length ?? 0) > 0) {
    issues.add(
      [...path, 'integrity'],
      'integrity algorithm given with GCM encryption (expected no integrity: GCM authenticates itself)',
    );
  } else if (!aead && (p.integrity?.length ?? 0) === 0) {
    issues.add(
      [...path, 'integrity'],
      'missing (expected integrity algorithms for CBC encryption)',
    );
  }
  return { aead };
}

function ikePolicies(parsed: ParsedConfig, issues: Issues): Record<string, IkePolicy> {
  const out: Record<string, IkePolicy> = {};
  for (const [name, p] of Object.entries(parsed.crypto?.['ike-policies'] ?? {})) {
    const base: Path = ['crypto', 'ike-policies', name];
    const bad = nameProblem(name);
    if (bad) issues.add(base, bad);
    const proposals: IkeProposal[] = p.proposals.map((pr, i) => {
      const path = [...base, 'proposals', i];
      const { aead } = checkGcmMix(pr, path, issues);
      const integrity = aead ? [] : (pr.integrity ?? []);
      let prf: PrfName[] = pr.prf ?? [];
      if (prf.length === 0) {
        if (aead)
          issues.add([...path, 'prf'], 'missing (expected a PRF for GCM proposals, e.g. [sha384])');
        prf = integrity.map((x: IntegrityName): PrfName => x);
      }
      return { encryption: pr.encryption, integrity, prf, dhGroup: pr['dh-group'] };
    });
    const lifetimeSec = p.lifetime ?? DEFAULTS.ikeLifetimeSec;
    if (lifetimeSec < MINIMUMS.ikeLifetimeSec) {
      issues.add(
        [...base, 'lifetime'],
        `${lifetimeSec}s is too short (expected at least ${MINIMUMS.ikeLifetimeSec}s)`,
      );
    }
    out[name] = { name, proposals, lifetimeSec };
  }
  return out;
}

function ipsecPolicies(parsed: ParsedConfig, issues: Issues): Record<string, IpsecPolicy> {
  const out: Record<string, IpsecPolicy> = {};
  for (const [name, p] of Object.entries(parsed.crypto?.['ipsec-policies'] ?? {})) {
    const base: Path = ['crypto', 'ipsec-policies', name];
    const bad = nameProblem(name);
    if (bad) issues.add(base, bad);
    const proposals: IpsecProposal[] = p.proposals.map((pr, i) => {
      const { aead } = checkGcmMix(pr, [...base, 'proposals', i], issues);
      const pfs = pr['pfs-group'];
      return {
        encryption: pr.encryption,
        integrity: aead ? [] : (pr.integrity ?? []),
        pfsGroup: pfs === undefined || pfs === 'none' ? null : pfs,
      };
    });
    const lifetimeSec = p.lifetime ?? DEFAULTS.ipsecLifetimeSec;
    if (lifetimeSec < MINIMUMS.childLifetimeSec) {
      issues.add(
        [...base, 'lifetime'],
        `${lifetimeSec}s is too short (expected at least ${MINIMUMS.childLifetimeSec}s)`,
      );
    }
    const kb = p['lifetime-kilobytes'] ?? DEFAULTS.ipsecLifetimeKilobytes;
    if (kb < MINIMUMS.kilobytes) {
      issues.add(
        [...base, 'lifetime-kilobytes'],
        `${kb} is too small (expected at least ${MINIMUMS.kilobytes})`,
      );
    }
    out[name] = {
      name,
      proposals,
      lifetimeSec,
      lifetimeKilobytes: kb,
      replayWindow: p['replay-window'] ?? DEFAULTS.replayWindow,
      esn: p.esn ?? false,
    };
  }
  return out;
}

function hexKeyProblem(s: Secret, bytes: number, what: string): string | null {
  const v = s.reveal().replace(/^0x/i, '');
  if (!/^[0-9a-fA-F]*$/.test(v) || v.length % 2 !== 0)
    return `not a hex string (expected ${bytes} bytes of hex for ${what})`;
  if (v.length / 2 !== bytes)
    return `wrong length: ${v.length / 2} bytes (expected ${bytes} bytes of hex for ${what})`;
  return null;
}

function manualSa(m: NonNullable<ParsedTunnel['manual-sa']>, path: Path, issues: Issues): ManualSa {
  const enc = m.encryption;
  const aead = isAead(enc);
  const encBytes = espEncKeyBytes(enc);
  const encWhat = aead ? `${enc} (key + 4-byte salt)` : enc;
  for (const k of ['key-in', 'key-out'] as const) {
    const p = hexKeyProblem(m[k], encBytes, encWhat);
    if (p) issues.add([...path, k], p);
  }
  const integ = m.integrity ?? null;
  if (aead && integ !== null) {
    issues.add(
      [...path, 'integrity'],
      'integrity algorithm given with GCM encryption (expected no integrity: GCM authenticates itself)',
    );
  }
  if (!aead && integ === null)
    issues.add([...path, 'integrity'], `missing (expected an integrity algorithm for ${enc})`);
  for (const k of ['integrity-key-in', 'integrity-key-out'] as const) {
    const key = m[k];
    if (integ !== null && !aead) {
      if (key === undefined)
        issues.add(
          [...path, k],
          `missing (expected ${INTEGRITY[integ].keyBytes} bytes of hex for ${integ})`,
        );
      else {
        const p = hexKeyProblem(key, INTEGRITY[integ].keyBytes, integ);
        if (p) issues.add([...path, k], p);
      }
    } else if (key !== undefined) {
      issues.add([...path, k], `not used with ${enc} (expected no integrity key)`);
    }
  }
  if (m['spi-in'] === m['spi-out']) {
    issues.add(
      [...path, 'spi-out'],
      'same as spi-in (expected distinct inbound and outbound SPIs)',
    );
  }
  return {
    spiIn: m['spi-in'],
    spiOut: m['spi-out'],
    encryption: enc,
    integrity: aead ? null : integ,
    keyIn: m['key-in'],
    keyOut: m['key-out'],
    integrityKeyIn: m['integrity-key-in'] ?? null,
    integrityKeyOut: m['integrity-key-out'] ?? null,
    esn: m.esn ?? false,
    udpEncap: m['udp-encap'] ?? false,
    remotePort: m['remote-port'] ?? 4500,
  };
}

type ParsedTunnel = NonNullable<ParsedConfig['tunnels']>[number];

interface CryptoMaps {
  declaredIke: string[];
  declaredIpsec: string[];
  azure: string[];
}

interface TunnelPolicies {
  ikePolicy: string | null;
  ipsecPolicy: string | null;
  azurePolicy: string | null;
}

/** psk and exactly one way of naming policies: ike-policy + ipsec-policy, or azure-policy. */
function tunnelPolicies(
  t: ParsedTunnel,
  path: Path,
  crypto: CryptoMaps,
  issues: Issues,
): TunnelPolicies {
  if (t.psk === undefined)
    issues.add(
      [...path, 'psk'],
      'missing (expected a pre-shared key, ${env:NAME} or ${file:PATH})',
    );
  const az = t['azure-policy'];
  const ik = t['ike-policy'];
  const ip = t['ipsec-policy'];
  if (az !== undefined && (ik !== undefined || ip !== undefined)) {
    issues.add(
      [...path, 'azure-policy'],
      'given together with ike-policy/ipsec-policy (expected either azure-policy or ike-policy + ipsec-policy)',
    );
  } else if (az !== undefined) {
    if (!crypto.azure.includes(az)) {
      issues.add(
        [...path, 'azure-policy'],
        `unknown azure-policy "${az}" (${expectedName(az, crypto.azure, 'azure-policy')})`,
      );
    }
    return { ikePolicy: `azure:${az}`, ipsecPolicy: `azure:${az}`, azurePolicy: az };
  } else if (ik === undefined && ip === undefined) {
    issues.add(
      [...path, 'ike-policy'],
      'missing (expected ike-policy + ipsec-policy, or azure-policy)',
    );
  } else {
    if (ik === undefined)
      issues.add(
        [...path, 'ike-policy'],
        'missing (expected ike-policy together with ipsec-policy)',
      );
    else if (!crypto.declaredIke.includes(ik)) {
      issues.add(
        [...path, 'ike-policy'],
        `unknown ike-policy "${ik}" (${expectedName(ik, crypto.declaredIke, 'ike-policy')})`,
      );
    }
    if (ip === undefined)
      issues.add(
        [...path, 'ipsec-policy'],
        'missing (expected ipsec-policy together with ike-policy)',
      );
    else if (!crypto.declaredIpsec.includes(ip)) {
      issues.add(
        [...path, 'ipsec-policy'],
        `unknown ipsec-policy "${ip}" (${expectedName(ip, crypto.declaredIpsec, 'ipsec-policy')})`,
      );
    }
    return { ikePolicy: ik ?? null, ipsecPolicy: ip ?? null, azurePolicy: null };
  }
  return { ikePolicy: null, ipsecPolicy: null, azurePolicy: null };
}

function tunnels(parsed: ParsedConfig, crypto: CryptoMaps, issues: Issues): TunnelConfig[] {
  const out: TunnelConfig[] = [];
  const seen = new Map<string, number>();
  const underlay = parsed.underlay ?? {};
  (parsed.tunnels ?? []).forEach((t, i) => {
    const path: Path = ['tunnels', i];
    const first = seen.get(t.name);
    if (first !== undefined) {
      issues.add(
        [...path, 'name'],
        `duplicate tunnel name "${t.name}" (expected a unique name; first used by tunnels[${first}])`,
      );
    } else seen.set(t.name, i);

    const localAddress = t['local-address'] ?? underlay['local-address'];
    const publicAddress = t['public-address'] ?? underlay['public-address'] ?? localAddress;
    if (publicAddress === undefined) {
      issues.add(
        [...path, 'public-address'],
        'missing (expected public-address here or in underlay)',
      );
    }
    const peerFam = parseIp(t.peer)?.family;
    if (localAddress !== undefined && parseIp(localAddress)?.family !== peerFam) {
      issues.add(
        [...path, 'peer'],
        `address family differs from local-address ${localAddress} (expected the same family)`,
      );
    }

    const manual = t['manual-sa']
      ? manualSa(t['manual-sa'], [...path, 'manual-sa'], issues)
      : undefined;
    const policies: TunnelPolicies = manual
      ? { ikePolicy: null, ipsecPolicy: null, azurePolicy: null }
      : tunnelPolicies(t, path, crypto, issues);

    const mtu = t.mtu ?? DEFAULTS.mtu;
    const mss = t['tcp-mss'];
    if (mss !== undefined && mss > mtu - 40) {
      issues.add(
        [...path, 'tcp-mss'],
        `${mss} does not fit the MTU ${mtu} (expected at most ${mtu - 40})`,
      );
    }
    const insideFamily =
      t.address === undefined ? undefined : parseIp(t.address.split('/')[0] ?? '')?.family;
    if (insideFamily === 6 && t.ipv6 === false) {
      issues.add([...path, 'ipv6'], 'false with an IPv6 address (expected true)');
    }
    const intervalSec = t.dpd?.interval ?? DEFAULTS.dpdIntervalSec;
    if (intervalSec < 1)
      issues.add(
        [...path, 'dpd', 'interval'],
        `${intervalSec}s is too short (expected at least 1s)`,
      );
    const pub = publicAddress ?? '0.0.0.0';
    const pubFam = parseIp(pub)?.family === 6 ? 'ipv6' : 'ipv4';
    out.push({
      name: t.name,
      localAddress,
      publicAddress: pub,
      peer: t.peer,
      psk: t.psk ?? null,
      ...policies,
      address: t.address,
      ipv6: t.ipv6 ?? insideFamily === 6,
      mtu,
      tcpMss: mss,
      dpd: {
        intervalSec,
        retries: t.dpd?.retries ?? DEFAULTS.dpdRetries,
        mode: t.dpd?.mode ?? 'on-demand',
      },
      initiate: t.initiate ?? true,
      routingContext: t['routing-context'],
      localId: t['local-id'] ?? { type: pubFam, value: pub },
      remoteId: t['remote-id'] ?? { type: peerFam === 6 ? 'ipv6' : 'ipv4', value: t.peer },
      natKeepaliveSec: t['nat-keepalive'] ?? DEFAULTS.natKeepaliveSec,
      manualSa: manual,
    });
  });
  checkInsideOverlap(out, issues);
  return out;
}

function insidePrefix(address: string): Prefix | null {
  const a = parseInterfaceAddress(address);
  return a ? parsePrefix(`${address.split('/')[0] ?? ''}/${a.len}`) : null;
}

function checkInsideOverlap(list: readonly TunnelConfig[], issues: Issues): void {
  for (let i = 0; i < list.length; i++) {
    const a = list[i];
    if (a?.address === undefined) continue;
    const pa = insidePrefix(a.address);
    for (let j = 0; j < i; j++) {
      const b = list[j];
      if (b?.address === undefined || b.routingContext !== a.routingContext || !pa) continue;
      const pb = insidePrefix(b.address);
      if (pb && prefixesOverlap(pa, pb)) {
        issues.add(
          ['tunnels', i, 'address'],
          `${a.address} overlaps ${b.address} of ${b.name} (expected distinct inside addresses in one routing context)`,
        );
      }
    }
  }
}

function staticRoutes(
  parsed: ParsedConfig,
  tunnelList: readonly TunnelConfig[],
  issues: Issues,
): StaticRoute[] {
  const names = tunnelList.map((t) => t.name);
  return (parsed['static-routes'] ?? []).map((r, i) => {
    const path: Path = ['static-routes', i];
    const via = r.via ?? [];
    const nh = r['next-hop'];
    if (via.length > 0 && nh !== undefined) {
      issues.add(
        [...path, 'next-hop'],
        'given together with via (expected exactly one of via, next-hop)',
      );
    } else if (via.length === 0 && nh === undefined) {
      issues.add([...path, 'via'], 'missing (expected exactly one of via, next-hop)');
    }
    const fam = parsePrefix(r.prefix)?.addr.family;
    via.forEach((v, k) => {
      const vpath =
        r.via !== undefined && via.length === 1 ? [...path, 'via'] : [...path, 'via', k];
      const t = tunnelList.find((x) => x.name === v);
      if (!t) issues.add(vpath, `unknown tunnel "${v}" (${expectedName(v, names, 'tunnel')})`);
      else if (fam === 6 && !t.ipv6) {
        issues.add(
          vpath,
          `IPv6 route via ${v} which has no ipv6: true (expected a tunnel with ipv6: true)`,
        );
      }
    });
    if (nh !== undefined && fam !== undefined && parseIp(nh)?.family !== fam) {
      issues.add(
        [...path, 'next-hop'],
        `address family differs from prefix ${r.prefix} (expected an IPv${fam} next hop)`,
      );
    }
    return {
      prefix: r.prefix,
      via,
      nextHop: nh,
      routingContext: r['routing-context'],
      distance: r.distance ?? DEFAULTS.staticDistance,
    };
  });
}

/** Declared contexts plus auto tables (from 1000, sorted by name) for contexts tunnels introduce. */
function routingContexts(
  parsed: ParsedConfig,
  tunnelList: readonly TunnelConfig[],
  issues: Issues,
): Record<string, RoutingContext> {
  const out: Record<string, RoutingContext> = {};
  const used = new Map<number, string>();
  for (const [name, c] of Object.entries(parsed['routing-contexts'] ?? {})) {
    const path: Path = ['routing-contexts', name];
    const bad = nameProblem(name);
    if (bad) issues.add(path, bad);
    if (c.table >= 253 && c.table <= 255) {
      issues.add(
        [...path, 'table'],
        `table ${c.table} is reserved by Linux (expected 1..252 or 256..4294967295)`,
      );
    }
    const other = used.get(c.table);
    if (other !== undefined)
      issues.add(
        [...path, 'table'],
        `table ${c.table} is already used by ${other} (expected a unique table)`,
      );
    used.set(c.table, name);
    out[name] = { name, table: c.table, priority: c.priority, auto: false };
  }
  const auto = [
    ...new Set(tunnelList.map((t) => t.routingContext).filter((x): x is string => x !== undefined)),
  ]
    .filter((n) => !(n in out))
    .sort();
  let next: number = DEFAULTS.autoTableBase;
  for (const name of auto) {
    while (used.has(next)) next++;
    used.set(next, name);
    out[name] = { name, table: next, priority: undefined, auto: true };
  }
  return out;
}

/** Normalise a parsed file. `src` reads the API token file. */
export function normalize(parsed: ParsedConfig, src: SecretSource): Normalized {
  const issues = new Issues();
  const ike = ikePolicies(parsed, issues);
  const ipsec = ipsecPolicies(parsed, issues);
  const declaredIke = Object.keys(ike);
  const declaredIpsec = Object.keys(ipsec);
  const azureRaw = parsed.crypto?.['azure-policies'] ?? {};
  const azurePolicies: Record<string, AzurePolicy> = {};
  for (const [name, a] of Object.entries(azureRaw)) {
    const bad = nameProblem(name);
    if (bad) issues.add(['crypto', 'azure-policies', name], bad);
    const policy = { name, ...a };
    azurePolicies[name] = policy;
    const tr = translateAzurePolicy(policy);
    if (tr.ok) {
      ike[tr.ike.name] = tr.ike;
      ipsec[tr.ipsec.name] = tr.ipsec;
    } else {
      for (const is of tr.issues)
        issues.add(['crypto', 'azure-policies', name, is.field], is.message);
    }
  }
  const tunnelList = tunnels(
    parsed,
    { declaredIke, declaredIpsec, azure: Object.keys(azureRaw) },
    issues,
  );
  const routes = staticRoutes(parsed, tunnelList, issues);
  const contexts = routingContexts(parsed, tunnelList, issues);
  routes.forEach((r, i) => {
    checkContextRef(r.routingContext, ['static-routes', i, 'routing-context'], contexts, issues);
  });
  const loopbacks = parsed.loopbacks ?? [];
  const bgp = parsed.bgp ? normalizeBgp(parsed, tunnelList, contexts, issues) : undefined;

  const apiRaw = parsed.api ?? {};
  let token: Secret | undefined;
  const tokenFile = apiRaw['token-file'];
  if (tokenFile !== undefined) {
    const r = resolveSecret(`\${file:${tokenFile}}`, src);
    if (r.ok) token = r.secret;
    else issues.add(['api', 'token-file'], r.message);
  }
  const listen = apiRaw.listen ?? { host: DEFAULTS.apiHost, port: DEFAULTS.apiPort };
  if (tokenFile === undefined && !isLoopbackHost(listen.host)) {
    issues.add(
      ['api', 'listen'],
      `a non-loopback address (${listen.host}) needs authentication (set api.token-file, or listen on 127.0.0.1 / ::1)`,
    );
  }
  const config: Config = {
    node: { name: parsed.node.name },
    underlay: {
      localAddress: parsed.underlay?.['local-address'],
      publicAddress: parsed.underlay?.['public-address'],
    },
    loopbacks,
    crypto: { ikePolicies: ike, ipsecPolicies: ipsec, azurePolicies },
    tunnels: tunnelList,
    staticRoutes: routes,
    bgp,
    routingContexts: contexts,
    api: {
      listen,
      tokenFile,
      token,
    },
    log: { level: parsed.log?.level ?? 'info' },
  };
  return { config, issues: issues.list };
}

/** 127.0.0.0/8 and ::1 are loopback; everything else (including 0.0.0.0 and ::) is not. */
function isLoopbackHost(host: string): boolean {
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) || host === '::1';
}
