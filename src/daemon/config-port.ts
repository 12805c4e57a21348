/**
 * What the daemon needs from the config module, as one injectable port, so the daemon can be
 * tested with fixture configs and the composition root wires the real module.
 */
import type { Config, ConfigDiff, LoadResult } from '../config/index.js';

export type { ConfigDiff };

export interface ConfigPort {
  /** Load and validate a file; errors carry the `FILE:LINE:COL: field: message` text. */
  load(path: string): Promise<LoadResult>;
  diff(previous: Config, next: Config): ConfigDiff;
  /** One line per changed section for the reload log, e.g. "loopbacks: +169.254.21.5/32". */
  summarize(diff: ConfigDiff, previous: Config, next: Config): readonly string[];
  /** Normalised YAML with every secret `<redacted>`. */
  render(config: Config): string;
}
