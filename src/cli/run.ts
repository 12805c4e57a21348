/** `nvad run --config FILE`: run the appliance daemon in the foreground until SIGTERM/SIGINT. */
const USAGE = 'usage: nvad run --config FILE\n';

export function parseRunArgs(argv: readonly string[]): { configFile: string } | { error: string } {
  let configFile: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (a === '--config' || a === '-c') {
      configFile = argv[++i];
      if (configFile === undefined || configFile === '') return { error: `${a} needs a file` };
    } else if (a.startsWith('--config=')) {
      configFile = a.slice('--config='.length);
    } else {
      return { error: `unexpected argument "${a}"` };
    }
  }
  if (configFile === undefined || configFile === '') return { error: 'missing --config FILE' };
  return { configFile };
}

export async function main(argv: string[]): Promise<number> {
  if (argv.includes('-h') || argv.includes('--help')) {
    process.stdout.write(USAGE);
    return 0;
  }
  const parsed = parseRunArgs(argv);
  if ('error' in parsed) {
    process.stderr.write(`nvad run: ${parsed.error}\n${USAGE}`);
    return 2;
  }
  // Loaded lazily so `nvad show` and friends never pull in the daemon's dependencies.
  const { runDaemon } = await import('../main.js');
  const code = await runDaemon({ configFile: parsed.configFile });
  // Anything still holding the event loop open after an orderly stop must not keep us alive.
  setTimeout(() => process.exit(code), 3000).unref();
  return code;
}
