/**
 * zod schema of the appliance configuration file (kebab-case YAML keys, strict maps: unknown keys
 * are errors with a "did you mean" hint). It validates structure and leaf values and normalises the
 * leaves (durations → seconds, canonical addresses, resolved secrets). Cross-field defaults and
 * semantic checks live in `normalize.ts`, which turns this parsed form into the typed `Config`.
 */
import { z } from 'zod';
import {
  DH_GROUP_NAMES,
  ENCRYPTION_NAMES,
  INTEGRITY_NAMES,
  PRF_NAMES,
} from '../crypto/transforms.js';
import type { SecretSource } from './secret.js';
import { LOG_LEVELS } from './types.js';
import {
  asPathList,
  asn,
  bool,
  community,
  duration,
  ident,
  ifaceAddr,
  ifname,
  ikeIdentity,
  int,
  ip,
  fail,
  leaf,
  listenAddress,
  oneOf,
  oneOrMany,
  prefix,
  regex,
  secret,
  spi,
  text,
} from './values.js';

export type * from './types.js';

/** Issue params marking an unknown key; `known` lists the keys that map accepts. */
export interface UnknownKeyParams {
  readonly unknownKey: true;
  readonly known: readonly string[];
}

/** A strict map: every key not in `shape` is an error carrying the known keys for a hint. */
export function obj<S extends z.core.$ZodLooseShape>(shape: S) {
  const known = Object.keys(shape);
  return z.object(shape).catchall(
    z.unknown().transform((_v, ctx) => {
      const params: UnknownKeyParams = { unknownKey: true, known };
      ctx.addIssue({ code: 'custom', message: 'unknown key', params: { ...params } });
      return z.NEVER;
    }),
  );
}

const list = <T extends z.ZodType>(item: T) => z.array(item).min(1);
const U32 = 4294967295;

const ikeProposal = obj({
  encryption: list(oneOf(ENCRYPTION_NAMES, 'encryption algorithm')),
  integrity: z.array(oneOf(INTEGRITY_NAMES, 'integrity algorithm')).optional(),
  prf: list(oneOf(PRF_NAMES, 'PRF')).optional(),
  'dh-group': list(oneOf(DH_GROUP_NAMES, 'DH group')),
});

const ikePolicy = obj({
  proposals: list(ikeProposal),
  lifetime: duration().optional(),
});

const ipsecProposal = obj({
  encryption: list(oneOf(ENCRYPTION_NAMES, 'encryption algorithm')),
  integrity: z.array(oneOf(INTEGRITY_NAMES, 'integrity algorithm')).optional(),
  'pfs-group': oneOf([...DH_GROUP_NAMES, 'none'], 'PFS group').optional(),
});

const ipsecPolicy = obj({
  proposals: list(ipsecProposal),
  lifetime: duration().optional(),
  'lifetime-kilobytes': int(1, Number.MAX_SAFE_INTEGER, 'a number of kilobytes').optional(),
  'replay-window': int(0, 32768).optional(),
  esn: bool().optional(),
});

const azureString = leaf('an Azure policy value like GCMAES256', (v) =>
  typeof v === 'string'
    ? v
    : fail(`wrong type: ${typeof v} (expected an Azure policy value like GCMAES256)`),
);

const azurePolicy = obj({
  ikeEncryption: azureString,
  ikeIntegrity: azureString,
  dhGroup: azureString,
  ipsecEncryption: azureString,
  ipsecIntegrity: azureString,
  pfsGroup: azureString,
  saLifeTimeSeconds: int(0, U32, 'a number of seconds'),
  saDataSizeKilobytes: int(0, Number.MAX_SAFE_INTEGER, 'a number of kilobytes'),
});

function manualSa(src: SecretSource) {
  return obj({
    'spi-in': spi(),
    'spi-out': spi(),
    encryption: oneOf(ENCRYPTION_NAMES, 'encryption algorithm'),
    integrity: oneOf(INTEGRITY_NAMES, 'integrity algorithm').optional(),
    'key-in': secret(src),
    'key-out': secret(src),
    'integrity-key-in': secret(src).optional(),
    'integrity-key-out': secret(src).optional(),
    esn: bool().optional(),
    'udp-encap': bool().optional(),
    'remote-port': int(1, 65535).optional(),
  });
}

function tunnel(src: SecretSource) {
  return obj({
    name: ifname(),
    'local-address': ip().optional(),
    'public-address': ip().optional(),
    peer: ip(),
    psk: secret(src).optional(),
    'ike-policy': ident('policy name').optional(),
    'ipsec-policy': ident('policy name').optional(),
    'azure-policy': ident('policy name').optional(),
    address: ifaceAddr().optional(),
    ipv6: bool().optional(),
    mtu: int(576, 9000).optional(),
    'tcp-mss': int(536, 9000 - 40).optional(),
    dpd: obj({
      interval: duration().optional(),
      retries: int(1, 100).optional(),
      mode: oneOf(['on-demand', 'periodic'], 'DPD mode').optional(),
    }).optional(),
    initiate: bool().optional(),
    'routing-context': ident('routing context name').optional(),
    'local-id': ikeIdentity().optional(),
    'remote-id': ikeIdentity().optional(),
    'nat-keepalive': duration().optional(),
    'manual-sa': manualSa(src).optional(),
  });
}

const staticRoute = obj({
  prefix: prefix(),
  via: oneOrMany(ifname()).optional(),
  'next-hop': ip().optional(),
  'routing-context': ident('routing context name').optional(),
  distance: int(1, 255).optional(),
});

const bgpTimers = obj({
  keepalive: duration().optional(),
  hold: duration().optional(),
});

const prefixListEntry = obj({
  seq: int(1, U32).optional(),
  action: oneOf(['permit', 'deny'], 'action'),
  prefix: prefix(),
  ge: int(0, 128).optional(),
  le: int(0, 128).optional(),
});

const routeMapEntry = obj({
  seq: int(1, 65535),
  action: oneOf(['permit', 'deny'], 'action'),
  match: obj({
    'prefix-list': ident('prefix-list name').optional(),
    community: community().optional(),
    'as-path': regex().optional(),
  }).optional(),
  set: obj({
    'as-path-prepend': asPathList().optional(),
    med: int(0, U32).optional(),
    'local-pref': int(0, U32).optional(),
    community: oneOrMany(community()).optional(),
    'community-additive': bool().optional(),
  }).optional(),
});

const ebgpMultihop = leaf('a TTL 1..255 or true (255)', (v) => {
  if (v === true) return 255;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 255) return v;
  return fail(`${JSON.stringify(v)} is not a TTL (expected a TTL 1..255 or true (255))`);
});

const allowasIn = leaf('a count 1..10 or true (3)', (v) => {
  if (v === true) return 3;
  if (v === false) return 0;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 10) return v;
  return fail(`${JSON.stringify(v)} is not a count (expected a count 1..10 or true (3))`);
});

const maxPrefixes = z.preprocess(
  (v) => (typeof v === 'number' ? { limit: v } : v),
  obj({
    limit: int(1, U32),
    action: oneOf(['warn', 'teardown'], 'action').optional(),
    threshold: int(1, 100).optional(),
    restart: duration().optional(),
  }),
);

const neighbor = obj({
  address: ip(),
  'remote-as': asn(),
  description: text().optional(),
  'update-source': ip().optional(),
  'ebgp-multihop': ebgpMultihop.optional(),
  passive: bool().optional(),
  'as-override': bool().optional(),
  'allowas-in': allowasIn.optional(),
  'next-hop-self': bool().optional(),
  'max-prefixes': maxPrefixes.optional(),
  'max-prefixes-out': int(1, U32).optional(),
  'routing-context': ident('routing context name').optional(),
  timers: bgpTimers.optional(),
  'route-map-in': ident('route-map name').optional(),
  'route-map-out': ident('route-map name').optional(),
  'prefix-list-in': ident('prefix-list name').optional(),
  'prefix-list-out': ident('prefix-list name').optional(),
  shutdown: bool().optional(),
  'address-families': list(oneOf(['ipv4-unicast', 'ipv6-unicast'], 'address family')).optional(),
});

const bgp = obj({
  asn: asn(),
  'router-id': ip(4).optional(),
  'maximum-paths': int(1, 64).optional(),
  timers: bgpTimers.optional(),
  networks: z.array(prefix()).optional(),
  redistribute: z.array(oneOf(['static', 'connected'], 'route source')).optional(),
  'prefix-lists': z.record(z.string(), list(prefixListEntry)).optional(),
  'route-maps': z.record(z.string(), list(routeMapEntry)).optional(),
  neighbors: z.array(neighbor).optional(),
});

/** The whole file. `src` resolves `${env:}` / `${file:}` secret references. */
export function makeConfigSchema(src: SecretSource) {
  return obj({
    node: obj({ name: ident('node name') }),
    underlay: obj({
      'local-address': ip().optional(),
      'public-address': ip().optional(),
    }).optional(),
    loopbacks: z.array(ifaceAddr()).optional(),
    crypto: obj({
      'ike-policies': z.record(z.string(), ikePolicy).optional(),
      'ipsec-policies': z.record(z.string(), ipsecPolicy).optional(),
      'azure-policies': z.record(z.string(), azurePolicy).optional(),
    }).optional(),
    tunnels: z.array(tunnel(src)).optional(),
    'static-routes': z.array(staticRoute).optional(),
    bgp: bgp.optional(),
    'routing-contexts': z
      .record(z.string(), obj({ table: int(1, U32), priority: int(0, 32765).optional() }))
      .optional(),
    api: obj({
      listen: listenAddress().optional(),
      'token-file': text('a file path').optional(),
    }).optional(),
    log: obj({ level: oneOf(LOG_LEVELS, 'log level').optional() }).optional(),
  });
}

/** The parsed (validated, leaf-normalised) file, before defaults and cross-references. */
export type ParsedConfig = z.output<ReturnType<typeof makeConfigSchema>>;
