/**
 * Module boundaries from docs (architecture.md "who may import whom"), enforced in CI by
 * `npm run lint`. Type-only imports of port/config *types* are allowed where noted.
 */
const forbid = (name, comment, from, to, extra = {}) => ({
  name,
  comment,
  severity: 'error',
  from: { path: from },
  to: { path: to, ...extra },
});

module.exports = {
  forbidden: [
    forbid('lib-is-a-leaf', 'src/lib imports nothing else in src', '^src/lib/', '^src/(?!lib/)'),
    forbid(
      'crypto-only-lib',
      'crypto may import lib only',
      '^src/crypto/',
      '^src/(?!lib/|crypto/)',
    ),
    forbid(
      'config-only-lib-crypto',
      'config may import lib and the crypto transform names only',
      '^src/config/',
      '^src/(?!lib/|config/|crypto/transforms)',
    ),
    forbid(
      'ike-never-imports-the-data-plane',
      'IKE declares ChildSaInstaller/IkeTransport and never imports ESP, tunnels, kernel, BGP or mgmt',
      '^src/ike/',
      '^src/(esp|tunnel|kernel|bgp|routing|mgmt|cli|daemon|native)',
    ),
    forbid(
      'bgp-declares-its-sink',
      'BGP declares RouteSink and never imports the kernel, routing, IKE, ESP or mgmt',
      '^src/bgp/',
      '^src/(esp|tunnel|kernel|ike|routing|mgmt|cli|daemon|native)',
    ),
    forbid(
      'esp-not-up-the-stack',
      'ESP may use lib, crypto, native and the IKE port types only',
      '^src/esp/',
      '^src/(bgp|routing|mgmt|cli|daemon|config|kernel)|^src/ike/(?!ports)',
    ),
    forbid(
      'kernel-only-lib-native',
      'kernel may import lib and native only',
      '^src/kernel/',
      '^src/(?!lib/|kernel/|native)',
    ),
    forbid(
      'routing-uses-kernel-port',
      'routing depends on the kernel interface and config types only',
      '^src/routing/',
      '^src/(ike|esp|tunnel|bgp|mgmt|cli|daemon|native)',
    ),
    forbid(
      'native-loader-users',
      'only esp, tunnel and kernel load the native addon',
      '^src/(?!esp/|tunnel/|kernel/|native)',
      '^src/native\\.ts$',
    ),
    forbid(
      'composition-root-only-in-cli',
      'only the CLI starts the composition root',
      '^src/(?!cli/|main)',
      '^src/main\\.ts$',
    ),
    {
      name: 'no-circular',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
