/**
 * Load a configuration file: YAML (with node positions) → zod schema → normalisation and semantic
 * checks. Every problem is reported, each as one line `FILE:LINE:COL: path.to.field: what is
 * wrong (what is expected)`, pointing at the offending node (for a missing key, its parent map).
 * User errors never carry stack traces and never contain secret values.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import {
  LineCounter,
  isMap,
  isPair,
  isScalar,
  isSeq,
  parseDocument,
  visit,
  type Document,
  type Node as YamlNode,
} from 'yaml';
import type { z } from 'zod';
import { closest } from './hint.js';
import { normalize } from './normalize.js';
import { makeConfigSchema, type UnknownKeyParams } from './schema.js';
import type { SecretSource } from './secret.js';
import type { ConfigError, ConfigIssue, LoadResult } from './types.js';
import { typeName } from './values.js';

export interface LoadOptions {
  /** Where `${env:}` / `${file:}` references are resolved (default: process.env and the disk). */
  readonly secrets?: SecretSource;
}

/** Process environment and files; relative file paths are relative to the config file. */
export function defaultSecretSource(baseDir: string): SecretSource {
  return {
    env: (name) => process.env[name],
    readFile: (path) => readFileSync(resolve(baseDir, path), 'utf8'),
  };
}

type Seg = string | number;

/** A user string for a one-line message: JSON-quoted, long strings shortened. */
function quote(s: string): string {
  const q = JSON.stringify(s);
  return q.length > 42 ? `${q.slice(0, 38)}…"` : q;
}

/** `tunnels[0].dpd.interval`; map keys that are not plain words are quoted. */
export function formatPath(path: readonly Seg[]): string {
  if (path.length === 0) return '(root)';
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z0-9_-]+$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${quote(seg)}]`;
  }
  return out;
}

interface Located {
  /** Offset of the node the message is about. */
  readonly offset: number;
  /** The path shown (the resolvable part, or the full path for a missing key). */
  readonly field: readonly Seg[];
}

function keyText(k: unknown): string | undefined {
  if (isScalar(k)) return String(k.value);
  return undefined;
}

/** Find the YAML node for `path`; `atKey` points at the key instead of the value. */
function locate(doc: Document, path: readonly Seg[], atKey: boolean): Located {
  let node: unknown = doc.contents;
  let offset = doc.contents?.range?.[0] ?? 0;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    if (isMap(node)) {
      const pair = node.items.find((p) => keyText(p.key) === String(seg));
      if (!pair) {
        // A missing key: point at the parent map, show the full path.
        const missing = i === path.length - 1;
        return { offset, field: missing ? path : path.slice(0, i) };
      }
      const keyNode = pair.key as YamlNode | null;
      const valueNode = pair.value as YamlNode | null;
      const last = i === path.length - 1;
      if (last && atKey) return { offset: keyNode?.range?.[0] ?? offset, field: path };
      node = valueNode;
      offset = valueNode?.range?.[0] ?? keyNode?.range?.[0] ?? offset;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg] as YamlNode | undefined;
      if (item === undefined) return { offset, field: path.slice(0, i) };
      node = item;
      offset = item.range?.[0] ?? offset;
    } else {
      // Descending into a scalar (e.g. a single `via` value normalised into a list).
      return { offset, field: path.slice(0, i) };
    }
  }
  return { offset, field: path };
}

/** The path of the deepest node whose range contains `offset` (for YAML syntax errors). */
function pathAt(doc: Document, offset: number): Seg[] {
  const path: Seg[] = [];
  let node: unknown = doc.contents;
  const within = (n: unknown): boolean => {
    const r = (n as YamlNode | null)?.range;
    return r !== undefined && r !== null && offset >= r[0] && offset <= r[2];
  };
  for (;;) {
    if (isMap(node)) {
      const pair = node.items.find((p) => within(p.value) || within(p.key));
      if (!pair || !isPair(pair)) break;
      path.push(keyText(pair.key) ?? '?');
      if (!within(pair.value)) break;
      node = pair.value;
    } else if (isSeq(node)) {
      const idx = node.items.findIndex((it) => within(it));
      if (idx < 0) break;
      path.push(idx);
      node = node.items[idx];
    } else break;
  }
  return path;
}

/** `pathAt` without the trailing unnamed (complex) key. */
function parentPath(doc: Document, offset: number): Seg[] {
  const p = pathAt(doc, offset);
  while (p.length > 0 && p[p.length - 1] === '?') p.pop();
  return p;
}

function describeExpected(expected: string): string {
  switch (expected) {
    case 'object':
      return 'a map';
    case 'array':
      return 'a list';
    case 'record':
      return 'a map';
    default:
      return `a ${expected}`;
  }
}

/** A zod issue as "what is wrong (what is expected)"; unknown keys get a hint. */
function issueMessage(issue: z.core.$ZodIssue): { message: string; atKey: boolean } {
  switch (issue.code) {
    case 'custom': {
      const params = issue.params as Partial<UnknownKeyParams> | undefined;
      if (params?.unknownKey === true) {
        const key = String(issue.path[issue.path.length - 1]);
        const known = params.known ?? [];
        const hint = closest(key, known);
        const tail =
          hint !== undefined ? `did you mean "${hint}"?` : `expected one of: ${known.join(', ')}`;
        return { message: `unknown key ${quote(key)} (${tail})`, atKey: true };
      }
      return { message: issue.message, atKey: false };
    }
    case 'invalid_type': {
      const exp = describeExpected(issue.expected);
      if (issue.input === undefined) return { message: `missing (expected ${exp})`, atKey: false };
      return { message: `wrong type: ${typeName(issue.input)} (expected ${exp})`, atKey: false };
    }
    case 'too_small':
      return {
        message: `empty list (expected at least ${String(issue.minimum)} entry)`,
        atKey: false,
      };
    case 'invalid_element':
    case 'invalid_format':
    case 'invalid_key':
    case 'invalid_union':
    case 'invalid_value':
    case 'not_multiple_of':
    case 'too_big':
    case 'unrecognized_keys':
      return { message: issue.message, atKey: false };
  }
}

function makeError(
  file: string,
  lc: LineCounter,
  offset: number,
  field: readonly Seg[],
  message: string,
): ConfigError {
  const { line, col } = lc.linePos(offset);
  const f = formatPath(field);
  // One line per error, whatever the input held.
  message = message.replace(/[\r\n]+/g, ' ');
  return { file, line, col, field: f, message, text: `${file}:${line}:${col}: ${f}: ${message}` };
}

function sortErrors(errors: ConfigError[]): ConfigError[] {
  const seen = new Set<string>();
  return errors
    .filter((e) => (seen.has(e.text) ? false : (seen.add(e.text), true)))
    .sort((a, b) => a.line - b.line || a.col - b.col);
}

/** Parse and validate configuration text. `fileName` is used in messages and for relative paths. */
export function loadConfigText(text: string, fileName: string, opts: LoadOptions = {}): LoadResult {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const errors: ConfigError[] = [];
  for (const e of doc.errors) {
    const offset = e.pos[0];
    const multi = e.code === 'MULTIPLE_DOCS';
    const path = multi ? [] : pathAt(doc, offset);
    const message = multi
      ? 'a second YAML document (expected one document per file)'
      : e.code === 'DUPLICATE_KEY'
        ? 'duplicate key (expected each key once per map)'
        : `${e.message.replace(/\s+/g, ' ').trim()} (expected valid YAML)`;
    errors.push(makeError(fileName, lc, offset, path, message));
  }
  // Keys must be scalars (a `? [a, b]` complex key has no meaning in this file).
  visit(doc, {
    Pair(_key, pair) {
      const k = pair.key;
      if (k !== null && !isScalar(k)) {
        const offset = (k as YamlNode).range?.[0] ?? 0;
        errors.push(
          makeError(
            fileName,
            lc,
            offset,
            parentPath(doc, offset),
            'complex key (expected a plain key)',
          ),
        );
        return visit.SKIP;
      }
      return undefined;
    },
  });
  if (errors.length > 0) return { ok: false, errors: sortErrors(errors) };

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 1000 });
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    return { ok: false, errors: [makeError(fileName, lc, 0, [], `${msg} (expected valid YAML)`)] };
  }
  const secrets = opts.secrets ?? defaultSecretSource(dirname(resolve(fileName)));
  const parsed = makeConfigSchema(secrets).safeParse(data, { reportInput: true });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const { message, atKey } = issueMessage(issue);
      const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
      const loc = locate(doc, path, atKey);
      errors.push(makeError(fileName, lc, loc.offset, loc.field, message));
    }
    return { ok: false, errors: sortErrors(errors) };
  }
  const { config, issues } = normalize(parsed.data, secrets);
  if (issues.length > 0) {
    return {
      ok: false,
      errors: sortErrors(issues.map((i: ConfigIssue) => toError(doc, lc, fileName, i))),
    };
  }
  return { ok: true, config };
}

function toError(doc: Document, lc: LineCounter, file: string, issue: ConfigIssue): ConfigError {
  const loc = locate(doc, issue.path, false);
  return makeError(file, lc, loc.offset, loc.field, issue.message);
}

/** Read and validate a configuration file. An unreadable file is one error at line 1. */
export function loadConfigFile(path: string, opts: LoadOptions = {}): LoadResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const why =
      code === 'ENOENT'
        ? 'file not found'
        : code === 'EISDIR'
          ? 'is a directory'
          : 'cannot read file';
    const message = `${why} (expected a readable YAML configuration file)`;
    return {
      ok: false,
      errors: [
        {
          file: path,
          line: 1,
          col: 1,
          field: '(file)',
          message,
          text: `${path}:1:1: (file): ${message}`,
        },
      ],
    };
  }
  return loadConfigText(text, path, opts);
}
