/**
 * The configuration `nvad lab up` gives the lab appliance: no tunnels yet, one loopback address
 * (TEST-NET-1, RFC 5737) and the API on 127.0.0.1 inside the lab's namespace.
 */
export const DEMO_LOOPBACK = '192.0.2.1/32';
export const DEMO_API_LISTEN = '127.0.0.1:9180';

export function demoConfig(nodeName: string): string {
  return `# Written by "nvad lab up": the lab's demo appliance.
node:
  name: ${nodeName}

loopbacks:
  - ${DEMO_LOOPBACK}

api:
  listen: ${DEMO_API_LISTEN}

log:
  level: info
`;
}
