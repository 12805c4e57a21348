/** Placeholder until the owning work lands. */
export function main(argv: string[]): Promise<number> {
  process.stderr.write(`nvad show: not implemented yet (${argv.join(' ')})\n`);
  return Promise.resolve(1);
}
