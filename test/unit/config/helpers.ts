import { expect } from 'vitest';
import { loadConfigText } from '../../../src/config/load.js';
import type { SecretSource } from '../../../src/config/secret.js';
import type { Config } from '../../../src/config/types.js';

/** PSK values used by the tests; none may ever appear in output. */
export const SECRETS: Readonly<Record<string, string>> = {
  NVAD_PSK_CONN10: 'psk-conn10-Zq8w!secret',
  NVAD_PSK: 'psk-multi-Yx7v!secret',
  '/run/secrets/psk1': 'psk-file-one-Wu6t!secret',
  '/run/secrets/psk2': 'psk-file-two-Vs5r!secret',
};

/** Environment variables and files served from SECRETS (file contents end in a newline). */
export const testSecrets: SecretSource = {
  env: (name) => SECRETS[name],
  readFile: (path) => {
    const v = SECRETS[path];
    if (v === undefined) throw new Error(`ENOENT ${path}`);
    return `${v}\n`;
  },
};

export function withExtra(extra: Record<string, string>): SecretSource {
  return {
    env: (name) => extra[name] ?? SECRETS[name],
    readFile: (path) => {
      const v = extra[path] ?? SECRETS[path];
      if (v === undefined) throw new Error(`ENOENT ${path}`);
      return v;
    },
  };
}

export function mustLoad(text: string, file = 'test.yaml', secrets = testSecrets): Config {
  const r = loadConfigText(text, file, { secrets });
  if (!r.ok)
    throw new Error(`expected a valid config, got:\n${r.errors.map((e) => e.text).join('\n')}`);
  return r.config;
}

/** Error lines of a config that must fail. */
export function errorsOf(text: string, file = 'bad.yaml', secrets = testSecrets): string[] {
  const r = loadConfigText(text, file, { secrets });
  expect(r.ok).toBe(false);
  return r.ok ? [] : r.errors.map((e) => e.text);
}

/** A minimal valid base document that tests extend. */
export const BASE = `node:
  name: t1
underlay:
  local-address: 10.0.0.4
  public-address: 198.51.100.4
loopbacks:
  - 169.254.21.1/32
crypto:
  ike-policies:
    ike1:
      proposals:
        - encryption: [aes-gcm-256]
          prf: [sha384]
          dh-group: [ecp384]
  ipsec-policies:
    esp1:
      proposals:
        - encryption: [aes-gcm-256]
`;

export const TUNNEL = `  - name: Tunnel0
    peer: 203.0.113.10
    psk: \${env:NVAD_PSK}
    ike-policy: ike1
    ipsec-policy: esp1
    address: 10.100.0.1/32
`;
