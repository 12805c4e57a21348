/** `show running-config`: the configuration in force, as normalised YAML with secrets redacted. */
import type { ShowCommand } from '../registry.js';

/** JSON contract: docs/show-json.md#show-running-config (stable). */
export interface RunningConfigDto {
  readonly configFile: string;
  readonly loadedAt: string;
  /** Normalised YAML (kebab-case keys); every secret is the string `<redacted>`. */
  readonly yaml: string;
}

export const showRunningConfig: ShowCommand<RunningConfigDto> = {
  name: 'running-config',
  summary: 'configuration in force (secrets redacted)',
  collect(ctx) {
    return {
      configFile: ctx.daemon.configFile,
      loadedAt: new Date(ctx.configLoadedAtMs()).toISOString(),
      yaml: ctx.runningConfig(),
    };
  },
  render(dto) {
    const body = dto.yaml.endsWith('\n') ? dto.yaml : dto.yaml + '\n';
    return [
      'Building configuration...',
      '',
      `Current configuration : ${Buffer.byteLength(body)} bytes`,
      `# loaded from ${dto.configFile} at ${dto.loadedAt}`,
      body,
    ].join('\n');
  },
};
