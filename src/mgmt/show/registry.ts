/**
 * The show-command framework. Each command is one small module exporting a `ShowCommand`:
 * `collect` builds a plain JSON DTO (the stable `--json` / HTTP contract, see docs/show-json.md)
 * and `render` turns that DTO into a Catalyst-like text table. `render` is pure, so the CLI
 * renders what the API returned. Commands are listed once, in `./index.ts`.
 *
 * Words match Catalyst-style: each typed word may be an unambiguous prefix of the command's word
 * (`show run`, `show int`, `show ver`); words after the command name are its arguments.
 */
import type { ShowContext } from './context.js';

export interface ShowParam {
  readonly name: string;
  readonly summary: string;
  readonly optional?: boolean;
}

export interface ShowCommand<D = unknown> {
  /** Words after `show`, space-separated, e.g. "crypto ipsec sa". */
  readonly name: string;
  readonly summary: string;
  readonly params?: readonly ShowParam[];
  collect(ctx: ShowContext, args: readonly string[]): Promise<D> | D;
  render(dto: D): string;
}

/** A show request that cannot be served; `status` is the HTTP status the API answers with. */
export class ShowError extends Error {
  readonly status: 400 | 404;
  constructor(status: 400 | 404, message: string) {
    super(message);
    this.name = 'ShowError';
    this.status = status;
  }
}

export interface ResolvedShow {
  readonly command: ShowCommand;
  readonly args: readonly string[];
}

function wordsOf(name: string): string[] {
  return name.split(' ').filter((w) => w.length > 0);
}

/** How well `typed` matches the leading words of `command`: null if not, else exact-word count. */
function matchPrefix(typed: readonly string[], command: readonly string[]): number | null {
  if (typed.length < command.length) return null;
  let exact = 0;
  for (let i = 0; i < command.length; i++) {
    const t = (typed[i] ?? '').toLowerCase();
    const c = command[i] ?? '';
    if (t.length === 0 || !c.startsWith(t)) return null;
    if (t === c) exact++;
  }
  return exact;
}

/**
 * Find the command for `words` (already split). The longest matching command wins; among equally
 * long matches an exact spelling wins; otherwise the words are ambiguous (400).
 */
export function resolveShow(
  commands: readonly ShowCommand[],
  words: readonly string[],
): ResolvedShow {
  if (words.length === 0) throw new ShowError(400, 'incomplete command; try "show help"');
  let best: { command: ShowCommand; len: number; exact: number }[] = [];
  for (const command of commands) {
    const cw = wordsOf(command.name);
    const exact = matchPrefix(words, cw);
    if (exact === null) continue;
    const top = best[0];
    if (!top || cw.length > top.len || (cw.length === top.len && exact > top.exact)) {
      best = [{ command, len: cw.length, exact }];
    } else if (cw.length === top.len && exact === top.exact) {
      best.push({ command, len: cw.length, exact });
    }
  }
  const typed = words.join(' ');
  if (best.length === 0) throw new ShowError(404, `unknown show command "${typed}"`);
  const [first, second] = best;
  if (!first) throw new ShowError(404, `unknown show command "${typed}"`);
  if (second) {
    const names = best.map((b) => `"${b.command.name}"`).join(', ');
    throw new ShowError(400, `ambiguous command "${typed}": ${names}`);
  }
  const args = words.slice(first.len);
  checkArgs(first.command, args);
  return { command: first.command, args };
}

function checkArgs(command: ShowCommand, args: readonly string[]): void {
  const params = command.params ?? [];
  const required = params.filter((p) => p.optional !== true).length;
  if (args.length > params.length) {
    throw new ShowError(
      400,
      `"show ${command.name}": unexpected argument "${args[params.length] ?? ''}"`,
    );
  }
  if (args.length < required) {
    const missing = params[args.length];
    throw new ShowError(400, `"show ${command.name}": missing argument ${missing?.name ?? ''}`);
  }
}

/** Usage text for `nvad show help`. */
export function renderShowHelp(commands: readonly ShowCommand[]): string {
  const sorted = [...commands].sort((a, b) => a.name.localeCompare(b.name));
  const usage = (c: ShowCommand): string =>
    [c.name, ...(c.params ?? []).map((p) => (p.optional === true ? `[${p.name}]` : p.name))].join(
      ' ',
    );
  const width = Math.max(...sorted.map((c) => usage(c).length));
  const lines = sorted.map((c) => `  ${usage(c).padEnd(width)}  ${c.summary}`);
  return `usage: nvad show <command> [--json] [--api HOST:PORT] [--token-file FILE] [--config FILE]\n\ncommands:\n${lines.join('\n')}\n`;
}

/** The URL path that asks the API for a command's DTO. */
export function showPath(command: ShowCommand, args: readonly string[]): string {
  return '/v1/show/' + [...wordsOf(command.name), ...args].map(encodeURIComponent).join('/');
}
