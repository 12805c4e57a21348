/**
 * What the lab needs from the host, checked before it changes anything. Nothing is installed
 * silently: each problem names the package that fixes it, and a gateway that cannot run says
 * which packages are missing and the apt-get command (or the lab falls back to the nvad gateway
 * and says so).
 */
import { accessSync, constants } from 'node:fs';
import { findExecutable } from './exec.js';
import type { GatewayKind } from './state.js';

/** Host commands the lab always uses, with the Debian package that provides each. */
export const LAB_COMMANDS = [
  { command: 'ip', pkg: 'iproute2' },
  { command: 'iptables', pkg: 'iptables' },
  { command: 'ping', pkg: 'iputils-ping' },
] as const;

/** What the strongSwan + FRR gateway needs: a command on PATH or a file, and its package. */
export const STRONGSWAN_GATEWAY_NEEDS = [
  { path: '/usr/lib/ipsec/charon', pkg: 'strongswan-charon' },
  { command: 'swanctl', pkg: 'strongswan-swanctl' },
  {
    path: '/usr/lib/ipsec/plugins/libstrongswan-kernel-libipsec.so',
    pkg: 'libcharon-extra-plugins',
  },
  {
    path: '/usr/lib/ipsec/plugins/libstrongswan-openssl.so',
    pkg: 'libstrongswan-standard-plugins',
  },
  { path: '/usr/lib/frr/zebra', pkg: 'frr' },
  { path: '/usr/lib/frr/bgpd', pkg: 'frr' },
  { command: 'vtysh', pkg: 'frr' },
] as const;

export type GatewayChoice = 'auto' | GatewayKind;

export interface HostFacts {
  readonly uid: number;
  /** The path of an executable, or undefined when it is missing. */
  readonly which: (name: string) => string | undefined;
  /** True when the file exists. */
  readonly exists: (path: string) => boolean;
}

function fileExists(path: string): boolean {
  try {
    accessSync(path, constants.F_OK);
    return true;
  } catch {
    return false;
  }
}

export function currentHost(): HostFacts {
  return { uid: process.getuid?.() ?? -1, which: findExecutable, exists: fileExists };
}

/** Problems that stop the lab from running, each a sentence with its fix; empty when ready. */
export function labProblems(host: HostFacts): string[] {
  const problems: string[] = [];
  if (host.uid !== 0) {
    problems.push('the lab creates network namespaces and must run as root (try: sudo nvad lab …)');
  }
  for (const { command, pkg } of LAB_COMMANDS) {
    if (host.which(command) === undefined) {
      problems.push(`command "${command}" not found: install it with "apt-get install ${pkg}"`);
    }
  }
  return problems;
}

/** Debian packages the strongSwan + FRR gateway lacks (sorted, no duplicates). */
export function missingGatewayPackages(host: HostFacts): string[] {
  const missing = new Set<string>();
  for (const need of STRONGSWAN_GATEWAY_NEEDS) {
    const ok = 'command' in need ? host.which(need.command) !== undefined : host.exists(need.path);
    if (!ok) missing.add(need.pkg);
  }
  return [...missing].sort();
}

export function aptCommand(pkgs: readonly string[]): string {
  return `apt-get install ${pkgs.join(' ')}`;
}

export type GatewayDecision =
  { readonly kind: GatewayKind; readonly note: string } | { readonly error: string };

/**
 * Which gateway stand-in to run: `auto` takes strongSwan + FRR when installed, else nvad (and
 * says why); `strongswan` fails with the missing packages; `nvad` always works.
 */
export function chooseGateway(choice: GatewayChoice, host: HostFacts): GatewayDecision {
  if (choice === 'nvad')
    return { kind: 'nvad', note: 'gateway: nvad (responder, AS 65515, passive BGP)' };
  const missing = missingGatewayPackages(host);
  if (missing.length === 0) {
    return {
      kind: 'strongswan',
      note: 'gateway: strongSwan (charon, kernel-libipsec) + FRR, AS 65515',
    };
  }
  const how = `install them with "${aptCommand(missing)}"`;
  if (choice === 'strongswan') {
    return {
      error: `the strongSwan + FRR gateway needs packages that are not installed: ${missing.join(', ')}; ${how}`,
    };
  }
  return {
    kind: 'nvad',
    note:
      `gateway: nvad (strongSwan + FRR not installed, missing ${missing.join(', ')}; ` +
      `for the strongSwan gateway ${how})`,
  };
}
