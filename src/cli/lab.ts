/** Placeholder until the owning work lands. */
export function main(argv: string[]): Promise<number> {
  process.stderr.write(`nvad lab: not implemented yet (${argv.join(' ')})\n`);
  return Promise.resolve(1);
}
