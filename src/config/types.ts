/**
 * The normalised appliance configuration: what every other module consumes. camelCase fields,
 * durations in whole seconds (`...Sec`), addresses and prefixes in canonical text form (RFC 5952
 * for IPv6, host bits cleared for prefixes), all defaults filled in and all references checked.
 * Field names are stable: the daemon, IKE, BGP and mgmt modules import them.
 */
import type { DhGroupName, EncryptionName, IntegrityName, PrfName } from '../crypto/transforms.js';
import type { Secret } from './secret.js';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

export interface IkeProposal {
  readonly encryption: readonly EncryptionName[];
  /** Empty for AEAD-only (GCM) proposals. */
  readonly integrity: readonly IntegrityName[];
  readonly prf: readonly PrfName[];
  readonly dhGroup: readonly DhGroupName[];
}

export interface IkePolicy {
  readonly name: string;
  readonly proposals: readonly IkeProposal[];
  /** IKE SA lifetime (rekey target), default 28800. */
  readonly lifetimeSec: number;
}

export interface IpsecProposal {
  readonly encryption: readonly EncryptionName[];
  /** Empty for AEAD-only (GCM) proposals. */
  readonly integrity: readonly IntegrityName[];
  /** PFS group for CREATE_CHILD_SA, or null for no PFS. */
  readonly pfsGroup: DhGroupName | null;
}

export interface IpsecPolicy {
  readonly name: string;
  readonly proposals: readonly IpsecProposal[];
  /** Child SA lifetime, default 27000. */
  readonly lifetimeSec: number;
  /** Child SA volume lifetime in kilobytes, default 102400000. */
  readonly lifetimeKilobytes: number;
  /** Anti-replay window in packets, default 1024 (0 disables). */
  readonly replayWindow: number;
  /** Extended sequence numbers, default false. */
  readonly esn: boolean;
}

/** An Azure connection "ipsecPolicies" entry as written (Azure's own field names and values). */
export interface AzurePolicy {
  readonly name: string;
  readonly ikeEncryption: string;
  readonly ikeIntegrity: string;
  readonly dhGroup: string;
  readonly ipsecEncryption: string;
  readonly ipsecIntegrity: string;
  readonly pfsGroup: string;
  readonly saLifeTimeSeconds: number;
  readonly saDataSizeKilobytes: number;
}

export interface CryptoConfig {
  /** Declared IKE policies plus one `azure:<name>` entry per Azure policy. */
  readonly ikePolicies: Readonly<Record<string, IkePolicy>>;
  /** Declared IPsec policies plus one `azure:<name>` entry per Azure policy. */
  readonly ipsecPolicies: Readonly<Record<string, IpsecPolicy>>;
  readonly azurePolicies: Readonly<Record<string, AzurePolicy>>;
}

/** An IKE identity: an IP address (ID_IPV4_ADDR / ID_IPV6_ADDR) or an FQDN (ID_FQDN). */
export interface IkeIdentity {
  readonly type: 'ipv4' | 'ipv6' | 'fqdn';
  readonly value: string;
}

export type DpdMode = 'on-demand' | 'periodic';

export interface DpdConfig {
  readonly intervalSec: number;
  readonly retries: number;
  readonly mode: DpdMode;
}

/** Manual keying (like `ip xfrm state`): fixed SPIs and keys, no IKE. */
export interface ManualSa {
  readonly spiIn: number;
  readonly spiOut: number;
  readonly encryption: EncryptionName;
  readonly integrity: IntegrityName | null;
  /** Hex key material (GCM: key followed by the 4-byte salt). */
  readonly keyIn: Secret;
  readonly keyOut: Secret;
  readonly integrityKeyIn: Secret | null;
  readonly integrityKeyOut: Secret | null;
  readonly esn: boolean;
  readonly udpEncap: boolean;
  /** Peer UDP port when `udpEncap` (default 4500). */
  readonly remotePort: number;
}

export interface TunnelConfig {
  /** Interface name (≤ 15 chars), e.g. `Tunnel101`. */
  readonly name: string;
  /** Outer source address; undefined = let the kernel pick. */
  readonly localAddress: string | undefined;
  /** Public (post-NAT) address; the default IKE identity. */
  readonly publicAddress: string;
  readonly peer: string;
  /** Null only for manual-sa tunnels. */
  readonly psk: Secret | null;
  /** Resolved policy names (Azure policies appear as `azure:<name>`); null for manual-sa. */
  readonly ikePolicy: string | null;
  readonly ipsecPolicy: string | null;
  /** The Azure policy name when the tunnel uses one. */
  readonly azurePolicy: string | null;
  /** Inside interface address with prefix length, host bits kept (e.g. `10.100.10.1/32`). */
  readonly address: string | undefined;
  readonly ipv6: boolean;
  readonly mtu: number;
  readonly tcpMss: number | undefined;
  readonly dpd: DpdConfig;
  readonly initiate: boolean;
  readonly routingContext: string | undefined;
  readonly localId: IkeIdentity;
  readonly remoteId: IkeIdentity;
  readonly natKeepaliveSec: number;
  readonly manualSa: ManualSa | undefined;
}

export interface StaticRoute {
  readonly prefix: string;
  /** Tunnel names (ECMP when several); empty when `nextHop` is set. */
  readonly via: readonly string[];
  readonly nextHop: string | undefined;
  readonly routingContext: string | undefined;
  /** Administrative distance, default 1. */
  readonly distance: number;
}

export interface PrefixListEntry {
  readonly seq: number;
  readonly action: 'permit' | 'deny';
  readonly prefix: string;
  readonly ge: number | undefined;
  readonly le: number | undefined;
}

export interface RouteMapEntry {
  readonly seq: number;
  readonly action: 'permit' | 'deny';
  readonly match: {
    readonly prefixList: string | undefined;
    readonly community: string | undefined;
    readonly asPath: string | undefined;
  };
  readonly set: {
    readonly asPathPrepend: readonly number[] | undefined;
    readonly med: number | undefined;
    readonly localPref: number | undefined;
    readonly community: readonly string[] | undefined;
    readonly communityAdditive: boolean;
  };
}

export interface BgpTimers {
  readonly keepaliveSec: number;
  readonly holdSec: number;
}

export type AddressFamily = 'ipv4-unicast' | 'ipv6-unicast';

export interface MaxPrefixes {
  readonly limit: number;
  readonly action: 'warn' | 'teardown';
  /** Warn once this share of the limit is reached (Catalyst threshold, default 75). */
  readonly thresholdPercent?: number | undefined;
  /** After a teardown, reconnect after this long (Catalyst `restart`); undefined: stay Idle. */
  readonly restartSec?: number | undefined;
}

export interface BgpNeighbor {
  readonly address: string;
  readonly remoteAs: number;
  readonly description: string | undefined;
  readonly updateSource: string | undefined;
  /** TTL for multihop eBGP; undefined = directly connected (TTL 1). */
  readonly ebgpMultihop: number | undefined;
  readonly passive: boolean;
  readonly asOverride: boolean;
  /** Accept own ASN this many times (0 = off). */
  readonly allowasIn: number;
  readonly nextHopSelf: boolean;
  readonly maxPrefixes: MaxPrefixes | undefined;
  readonly maxPrefixesOut: number | undefined;
  readonly routingContext: string | undefined;
  /** Per-neighbor timers, or the global `bgp.timers`. */
  readonly timers: BgpTimers;
  readonly routeMapIn: string | undefined;
  readonly routeMapOut: string | undefined;
  readonly prefixListIn: string | undefined;
  readonly prefixListOut: string | undefined;
  readonly shutdown: boolean;
  readonly addressFamilies: readonly AddressFamily[];
}

export interface BgpConfig {
  readonly asn: number;
  readonly routerId: string;
  readonly maximumPaths: number;
  readonly timers: BgpTimers;
  readonly networks: readonly string[];
  readonly redistribute: readonly ('static' | 'connected')[];
  readonly prefixLists: Readonly<Record<string, readonly PrefixListEntry[]>>;
  readonly routeMaps: Readonly<Record<string, readonly RouteMapEntry[]>>;
  readonly neighbors: readonly BgpNeighbor[];
}

export interface RoutingContext {
  readonly name: string;
  /** Linux routing table id. */
  readonly table: number;
  /** Policy rule priority, when given. */
  readonly priority: number | undefined;
  /** True when the table id was assigned automatically (referenced but not declared). */
  readonly auto: boolean;
}

export interface ApiConfig {
  readonly listen: { readonly host: string; readonly port: number };
  readonly tokenFile: string | undefined;
  /** Bearer token read from `token-file` (or given as `token`). */
  readonly token: Secret | undefined;
}

export interface Config {
  readonly node: { readonly name: string };
  readonly underlay: {
    readonly localAddress: string | undefined;
    readonly publicAddress: string | undefined;
  };
  /** Loopback prefixes (address/len), e.g. `169.254.21.1/32`. */
  readonly loopbacks: readonly string[];
  readonly crypto: CryptoConfig;
  readonly tunnels: readonly TunnelConfig[];
  readonly staticRoutes: readonly StaticRoute[];
  readonly bgp: BgpConfig | undefined;
  /** Declared and auto-assigned contexts, by name. */
  readonly routingContexts: Readonly<Record<string, RoutingContext>>;
  readonly api: ApiConfig;
  readonly log: { readonly level: LogLevel };
}

/** One user-facing configuration error. `path` is the YAML path (keys and indexes). */
export interface ConfigIssue {
  readonly path: readonly (string | number)[];
  /** "what is wrong (what is expected)". */
  readonly message: string;
}

/** A formatted error: `FILE:LINE:COL: path.to.field: message`. */
export interface ConfigError {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly field: string;
  readonly message: string;
  /** The full formatted line. */
  readonly text: string;
}

export type LoadResult =
  | { readonly ok: true; readonly config: Config }
  | { readonly ok: false; readonly errors: readonly ConfigError[] };
