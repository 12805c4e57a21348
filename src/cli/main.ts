/**
 * `nvad` command-line entry point: dispatches to one module per subcommand. Each subcommand module
 * exports `main(argv): Promise<number>` returning the process exit code (0 ok, 1 failure, 2 usage
 * or configuration error). User errors print one clear line, never a stack trace.
 */
type Subcommand = (argv: string[]) => Promise<number>;

const SUBCOMMANDS: Record<string, () => Promise<Subcommand>> = {
  run: async () => (await import('./run.js')).main,
  show: async () => (await import('./show.js')).main,
  clear: async () => (await import('./clear.js')).main,
  'check-config': async () => (await import('./check-config.js')).main,
  lab: async () => (await import('./lab.js')).main,
  version: async () => (await import('./version.js')).main,
};

const USAGE = `usage: nvad <command> [args]

commands:
  run --config FILE            run the appliance daemon
  show <what> [--json]         show state of a running daemon (nvad show help)
  clear ip bgp {*|ADDR} [soft [in|out]]
                               reset BGP sessions or refresh their routes (nvad clear help)
  clear crypto session [remote ADDR] [interface NAME]
                               tear IKE/IPsec SAs down; initiating tunnels come back at once
  check-config FILE            validate a configuration, print it normalised (secrets redacted)
  lab up|status|down           a throwaway lab in network namespaces
  version                      print the version
`;

export async function cliMain(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === 'help' || cmd === '--help' || cmd === '-h') {
    process.stdout.write(USAGE);
    return cmd === undefined ? 2 : 0;
  }
  if (cmd === '--version') return cliMain(['version']);
  const load = SUBCOMMANDS[cmd];
  if (!load) {
    process.stderr.write(`nvad: unknown command "${cmd}"\n${USAGE}`);
    return 2;
  }
  const run = await load();
  return run(rest);
}

// Run when executed directly (bin/nvad.js imports this module).
const exitCode = await cliMain(process.argv.slice(2));
process.exitCode = exitCode;
