/** `show version`: software and process facts, after Catalyst's `show version` header. */
import { hostname } from 'node:os';
import type { ShowCommand } from '../registry.js';
import { formatUptime } from '../table.js';

/** JSON contract: docs/show-json.md#show-version (stable). */
export interface VersionDto {
  readonly software: 'nvad';
  readonly version: string;
  readonly nodeName: string;
  readonly hostname: string;
  readonly configFile: string;
  readonly pid: number;
  readonly startedAt: string;
  readonly uptimeSec: number;
  readonly nodeVersion: string;
  readonly opensslVersion: string;
  readonly platform: string;
  readonly arch: string;
}

export const showVersion: ShowCommand<VersionDto> = {
  name: 'version',
  summary: 'software version, uptime and process facts',
  collect(ctx) {
    const d = ctx.daemon;
    return {
      software: 'nvad',
      version: d.version,
      nodeName: d.nodeName,
      hostname: hostname(),
      configFile: d.configFile,
      pid: d.pid,
      startedAt: new Date(d.startedAtMs).toISOString(),
      uptimeSec: Math.floor(d.uptimeSec()),
      nodeVersion: process.version,
      opensslVersion: process.versions.openssl,
      platform: process.platform,
      arch: process.arch,
    };
  },
  render(dto) {
    return [
      `nvad Software, Version ${dto.version}`,
      `Technical Support: see README.md`,
      ``,
      `${dto.nodeName} uptime is ${formatUptime(dto.uptimeSec)}`,
      `System started at ${dto.startedAt}`,
      `Configuration file is "${dto.configFile}"`,
      `Process ID ${dto.pid} on host ${dto.hostname} (${dto.platform} ${dto.arch})`,
      `Node.js ${dto.nodeVersion}, OpenSSL ${dto.opensslVersion}`,
      ``,
    ].join('\n');
  },
};
