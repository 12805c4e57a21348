/**
 * Secrets (PSKs, manual keys, API token). A `Secret` never prints its value: `toString`, `toJSON`
 * and `util.inspect` all give `<redacted>`; the value is reachable only through `reveal()`.
 *
 * In the configuration a secret is a literal string or a reference resolved at load time:
 * `${env:NAME}` (environment variable) or `${file:PATH}` (file contents, one trailing newline
 * stripped). Errors name the reference, never the value.
 */
import { inspect } from 'node:util';

export const REDACTED = '<redacted>';

export class Secret {
  readonly #value: string;
  /** Where the value came from, for messages: `${env:NAME}`, `${file:PATH}` or `literal`. */
  readonly source: string;

  constructor(value: string, source = 'literal') {
    this.#value = value;
    this.source = source;
  }

  /** The secret value. Call only where the value is used (key derivation, auth checks). */
  reveal(): string {
    return this.#value;
  }

  /** Same value (constant-time is not needed here: config comparison for reload). */
  equals(other: Secret): boolean {
    return this.#value === other.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}

/** How references are resolved; tests inject their own environment and files. */
export interface SecretSource {
  env(name: string): string | undefined;
  /** Returns the file contents or throws (the error text is not used in messages). */
  readFile(path: string): string;
}

export type SecretResult = { ok: true; secret: Secret } | { ok: false; message: string };

const REF = /^\$\{(env|file):([^}]*)\}$/;

/** Is `text` a `${env:..}` / `${file:..}` reference (well formed or not)? */
export function looksLikeSecretRef(text: string): boolean {
  return text.startsWith('${');
}

/**
 * Resolve a configured secret (literal or reference). Messages name the reference only, in the
 * form "what is wrong (what is expected)".
 */
export function resolveSecret(text: string, src: SecretSource): SecretResult {
  if (!looksLikeSecretRef(text)) {
    if (text === '') return { ok: false, message: 'empty secret (expected a non-empty value)' };
    return { ok: true, secret: new Secret(text) };
  }
  const m = REF.exec(text);
  if (!m) {
    return {
      ok: false,
      message: 'malformed secret reference (expected ${env:NAME} or ${file:PATH})',
    };
  }
  const kind = m[1];
  const arg = m[2] ?? '';
  if (arg === '') {
    return {
      ok: false,
      message: `empty name in \${${kind ?? ''}:} (expected \${env:NAME} or \${file:PATH})`,
    };
  }
  const ref = `\${${kind ?? ''}:${arg}}`;
  let value: string | undefined;
  if (kind === 'env') {
    value = src.env(arg);
    if (value === undefined) {
      return {
        ok: false,
        message: `${ref}: environment variable is not set (expected the secret in ${arg})`,
      };
    }
  } else {
    try {
      value = src.readFile(arg);
    } catch {
      return {
        ok: false,
        message: `${ref}: file is not readable (expected a readable file holding the secret)`,
      };
    }
    if (value.endsWith('\r\n')) value = value.slice(0, -2);
    else if (value.endsWith('\n')) value = value.slice(0, -1);
  }
  if (value === '')
    return { ok: false, message: `${ref}: secret is empty (expected a non-empty value)` };
  return { ok: true, secret: new Secret(value, ref) };
}
