/**
 * `nvad show <words...> [--json] [--api HOST:PORT] [--token-file FILE] [--config FILE]`: fetch a
 * show command's DTO from the running daemon and print its Catalyst-style table, or with --json
 * the DTO itself. Words may be abbreviated as on a Catalyst (`nvad show run`, `nvad show int`).
 */
import {
  SHOW_COMMANDS,
  renderShowHelp,
  resolveShow,
  showPath,
  ShowError,
} from '../mgmt/show/index.js';
import { ApiClient, ApiClientError, readToken, resolveEndpoint } from './api-client.js';

export interface ShowArgs {
  readonly words: readonly string[];
  readonly json: boolean;
  readonly api?: string;
  readonly tokenFile?: string;
  readonly config?: string;
}

export type ParsedShowArgs = { ok: true; args: ShowArgs } | { ok: false; error: string };

const VALUE_FLAGS = {
  '--api': 'api',
  '--token-file': 'tokenFile',
  '--config': 'config',
  '-c': 'config',
} as const;

export function parseShowArgs(argv: readonly string[]): ParsedShowArgs {
  const words: string[] = [];
  let json = false;
  const values: { api?: string; tokenFile?: string; config?: string } = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (a === '--json') {
      json = true;
      continue;
    }
    if (a === '-h' || a === '--help') {
      words.splice(0, words.length, 'help');
      continue;
    }
    const eq = a.indexOf('=');
    const flag = eq > 0 ? a.slice(0, eq) : a;
    if (Object.hasOwn(VALUE_FLAGS, flag)) {
      const key = VALUE_FLAGS[flag as keyof typeof VALUE_FLAGS];
      const value = eq > 0 ? a.slice(eq + 1) : argv[++i];
      if (value === undefined || value === '') return { ok: false, error: `${flag} needs a value` };
      values[key] = value;
      continue;
    }
    if (a.startsWith('-')) return { ok: false, error: `unknown option ${a}` };
    words.push(a);
  }
  return { ok: true, args: { words, json, ...values } };
}

function out(text: string): void {
  process.stdout.write(text);
}

function fail(message: string, code: number): number {
  process.stderr.write(`nvad show: ${message}\n`);
  return code;
}

export async function main(argv: string[]): Promise<number> {
  const parsed = parseShowArgs(argv);
  if (!parsed.ok) return fail(`${parsed.error}; try "nvad show help"`, 2);
  const args = parsed.args;
  if (args.words.length === 0 || (args.words.length === 1 && args.words[0] === 'help')) {
    out(renderShowHelp(SHOW_COMMANDS));
    return args.words.length === 0 ? 2 : 0;
  }
  let resolved;
  try {
    resolved = resolveShow(SHOW_COMMANDS, args.words);
  } catch (err) {
    if (err instanceof ShowError) return fail(`${err.message}; try "nvad show help"`, 2);
    throw err;
  }
  try {
    const endpoint = await resolveEndpoint(args);
    const token =
      endpoint.tokenFile !== undefined ? await readToken(endpoint.tokenFile) : undefined;
    const client = new ApiClient(endpoint.baseUrl, token);
    const dto = await client.getJson(showPath(resolved.command, resolved.args));
    out(args.json ? JSON.stringify(dto, null, 2) + '\n' : resolved.command.render(dto));
    return 0;
  } catch (err) {
    if (err instanceof ApiClientError) return fail(err.message, 1);
    throw err;
  }
}
