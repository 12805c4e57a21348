/** Hand-built normalised configs for daemon/mgmt unit tests (independent of the YAML loader). */
import type { Config } from '../../../src/config/index.js';
import { Secret } from '../../../src/config/index.js';

export const TEST_PSK = 'psk-Sup3rS3cret-never-print';

export function testConfig(
  over: {
    name?: string;
    loopbacks?: string[];
    listen?: { host: string; port: number };
    token?: string;
    level?: Config['log']['level'];
  } = {},
): Config {
  return {
    node: { name: over.name ?? 'nva-test' },
    underlay: { localAddress: '10.10.0.4', publicAddress: '198.51.100.4' },
    loopbacks: over.loopbacks ?? ['169.254.21.1/32'],
    crypto: { ikePolicies: {}, ipsecPolicies: {}, azurePolicies: {} },
    tunnels: [],
    staticRoutes: [],
    bgp: undefined,
    routingContexts: {},
    api: {
      listen: over.listen ?? { host: '127.0.0.1', port: 0 },
      tokenFile: over.token !== undefined ? '/dev/null' : undefined,
      token: over.token !== undefined ? new Secret(over.token, '${file:/dev/null}') : undefined,
    },
    log: { level: over.level ?? 'info' },
  };
}
