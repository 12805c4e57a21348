/**
 * Every show command, listed once. Adding one = a module under ./commands plus a line here.
 */
import { showCryptoIkev2Sa } from './commands/crypto-ikev2-sa.js';
import { showCryptoIpsecSa } from './commands/crypto-ipsec-sa.js';
import { showCryptoSession } from './commands/crypto-session.js';
import { showInterfaces } from './commands/interfaces.js';
import { showIpBgp } from './commands/ip-bgp.js';
import { showIpBgpNeighbors } from './commands/ip-bgp-neighbors.js';
import { showIpBgpSummary } from './commands/ip-bgp-summary.js';
import { showIpRoute } from './commands/ip-route.js';
import { showRunningConfig } from './commands/running-config.js';
import { showVersion } from './commands/version.js';
import type { ShowCommand } from './registry.js';

export const SHOW_COMMANDS: readonly ShowCommand[] = [
  showVersion,
  showRunningConfig,
  showInterfaces,
  showCryptoIpsecSa,
  showCryptoIkev2Sa,
  showCryptoSession,
  showIpBgpSummary,
  showIpBgp,
  showIpBgpNeighbors,
  showIpRoute,
];

export * from './registry.js';
export * from './context.js';
export { renderTable, formatUptime, formatDuration } from './table.js';
export type { Column, TableOptions } from './table.js';
export type { VersionDto } from './commands/version.js';
export type { RunningConfigDto } from './commands/running-config.js';
export type { InterfacesDto, InterfaceDto, InterfaceAddressDto } from './commands/interfaces.js';
export type { BgpSummaryDto, BgpSummaryNeighborDto } from './commands/ip-bgp-summary.js';
export type { BgpTableDto } from './commands/ip-bgp.js';
export type { BgpNeighborsDto } from './commands/ip-bgp-neighbors.js';
export type { RouteTableDto, RouteDto, RouteNexthopDto } from './commands/ip-route.js';
export type { CryptoIkev2SaDto, IkeSaDto } from './commands/crypto-ikev2-sa.js';
export type { CryptoSessionDto } from './commands/crypto-session.js';
