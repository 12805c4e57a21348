import { VERSION } from '../version.js';

export function main(): Promise<number> {
  process.stdout.write(`nvad ${VERSION} (node ${process.version})\n`);
  return Promise.resolve(0);
}
