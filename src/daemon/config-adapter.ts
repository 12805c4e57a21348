/**
 * The real ConfigPort over src/config, plus the one-line-per-section reload summary the daemon
 * logs (names and prefixes only; never secret values).
 */
import {
  diffConfig,
  loadConfigFile,
  renderConfig,
  type Config,
  type ConfigDiff,
  type NamedChanges,
  type NeighborKey,
} from '../config/index.js';
import type { ConfigPort } from './config-port.js';

function signed(
  added: readonly string[],
  removed: readonly string[],
  changed: readonly string[] = [],
): string {
  return [
    ...added.map((x) => `+${x}`),
    ...removed.map((x) => `-${x}`),
    ...changed.map((x) => `~${x}`),
  ].join(' ');
}

function named(section: string, c: NamedChanges): string | null {
  const s = signed(c.added, c.removed, c.changed);
  return s === '' ? null : `${section}: ${s}`;
}

function neighborName(n: NeighborKey): string {
  return n.routingContext !== undefined ? `${n.address}@${n.routingContext}` : n.address;
}

/** One line per changed section, e.g. "loopbacks: +169.254.21.5/32 -169.254.21.1/32". */
export function summarizeChanges(diff: ConfigDiff, previous: Config, next: Config): string[] {
  if (diff.empty) return [];
  const lines: (string | null)[] = [];
  if (diff.node) lines.push(`node.name: ${previous.node.name} -> ${next.node.name}`);
  if (diff.underlay) lines.push('underlay: changed');
  const lb = signed(diff.loopbacks.added, diff.loopbacks.removed);
  if (lb !== '') lines.push(`loopbacks: ${lb}`);
  lines.push(named('tunnels', diff.tunnels));
  const routes = signed(
    diff.staticRoutes.added.map((r) => r.prefix),
    diff.staticRoutes.removed.map((r) => r.prefix),
  );
  if (routes !== '') lines.push(`static-routes: ${routes}`);
  lines.push(named('routing-contexts', diff.routingContexts));
  const b = diff.bgp;
  if (b.added) lines.push('bgp: added');
  else if (b.removed) lines.push('bgp: removed');
  else {
    if (b.global) lines.push('bgp: global settings changed');
    if (b.policy) lines.push('bgp: prefix-lists/route-maps changed');
    const n = signed(
      b.neighbors.added.map(neighborName),
      b.neighbors.removed.map(neighborName),
      b.neighbors.changed.map(neighborName),
    );
    if (n !== '') lines.push(`bgp neighbors: ${n}`);
  }
  if (diff.api) lines.push('api: changed');
  if (diff.log) lines.push(`log.level: ${previous.log.level} -> ${next.log.level}`);
  return lines.filter((l): l is string => l !== null);
}

export function createConfigPort(): ConfigPort {
  return {
    load: (path) => Promise.resolve(loadConfigFile(path)),
    diff: diffConfig,
    summarize: summarizeChanges,
    render: renderConfig,
  };
}
