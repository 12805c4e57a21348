/**
 * Every show command, listed once. Adding one = a module under ./commands plus a line here.
 */
import { showInterfaces } from './commands/interfaces.js';
import { showRunningConfig } from './commands/running-config.js';
import { showVersion } from './commands/version.js';
import type { ShowCommand } from './registry.js';

export const SHOW_COMMANDS: readonly ShowCommand[] = [
  showVersion,
  showRunningConfig,
  showInterfaces,
];

export * from './registry.js';
export * from './context.js';
export { renderTable, formatUptime, formatDuration } from './table.js';
export type { Column, TableOptions } from './table.js';
export type { VersionDto } from './commands/version.js';
export type { RunningConfigDto } from './commands/running-config.js';
export type { InterfacesDto, InterfaceDto, InterfaceAddressDto } from './commands/interfaces.js';
