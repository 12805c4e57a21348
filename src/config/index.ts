/** Configuration module: YAML load, schema, secrets, Azure policy translation, render, diff. */
export type * from './types.js';
export { LOG_LEVELS } from './types.js';
export { Secret, REDACTED, resolveSecret, type SecretSource } from './secret.js';
export {
  loadConfigFile,
  loadConfigText,
  defaultSecretSource,
  formatPath,
  type LoadOptions,
} from './load.js';
export { translateAzurePolicy, type AzureTranslation } from './azure.js';
export { makeConfigSchema, type ParsedConfig } from './schema.js';
export { DEFAULTS, MINIMUMS } from './normalize.js';
export { BGP_DEFAULTS } from './normalize-bgp.js';
export { parseDurationSec } from './values.js';
export { renderConfig, configToPlain } from './redact.js';
export {
  diffConfig,
  sameValue,
  type ConfigDiff,
  type NamedChanges,
  type NeighborKey,
} from './diff.js';
