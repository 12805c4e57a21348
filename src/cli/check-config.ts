/**
 * `nvad check-config FILE`: validate a configuration. On success print the normalised config
 * (secrets redacted) on stdout and exit 0; otherwise print every error as
 * `FILE:LINE:COL: path: message` on stderr (nothing else) and exit 2.
 */
import { loadConfigFile, renderConfig } from '../config/index.js';

const USAGE = 'usage: nvad check-config FILE\n';

export function main(argv: string[]): Promise<number> {
  const args = argv.filter((a) => a !== '--');
  if (args.length === 1 && (args[0] === '-h' || args[0] === '--help')) {
    process.stdout.write(USAGE);
    return Promise.resolve(0);
  }
  const file = args[0];
  if (file === undefined || args.length !== 1) {
    process.stderr.write(USAGE);
    return Promise.resolve(2);
  }
  const result = loadConfigFile(file);
  if (!result.ok) {
    process.stderr.write(result.errors.map((e) => `${e.text}\n`).join(''));
    return Promise.resolve(2);
  }
  process.stdout.write(renderConfig(result.config));
  return Promise.resolve(0);
}
