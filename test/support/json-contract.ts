/**
 * The stable JSON contracts of docs/show-json.md, for the tests that hold the code to them: the
 * documented field list of one `<!-- contract: NAME -->` table, and the field paths a JSON value
 * actually has ("a", "a[].b"; arrays are described by their items).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const DOC = readFileSync(join(import.meta.dirname, '../../docs/show-json.md'), 'utf8');

/** Field paths of one documented contract table, sorted. */
export function documentedFields(name: string): string[] {
  const start = DOC.indexOf(`<!-- contract: ${name} -->`);
  if (start < 0) throw new Error(`no contract ${name} in docs/show-json.md`);
  const fields: string[] = [];
  for (const line of DOC.slice(start).split('\n').slice(1)) {
    if (line.trim() === '') {
      if (fields.length > 0) break;
      continue;
    }
    const m = /^\|\s*`([^`]+)`\s*\|/.exec(line);
    if (m?.[1] !== undefined) fields.push(m[1]);
  }
  return fields.sort();
}

function paths(value: unknown, prefix: string, needItems: boolean): string[] {
  if (Array.isArray(value)) {
    if (needItems && value.length === 0) {
      throw new Error(`sample for ${prefix} is an empty array: its items cannot be checked`);
    }
    return [...new Set(value.flatMap((v: unknown) => paths(v, `${prefix}[]`, needItems)))];
  }
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => {
      const p = prefix === '' ? k : `${prefix}.${k}`;
      return [p, ...paths(v, p, needItems)];
    });
  }
  return [];
}

/**
 * Every field path of the values (merged), sorted. With `needItems`, an empty array is an error
 * (a sample must show what its items look like).
 */
export function fieldPaths(
  values: readonly unknown[],
  opts: { needItems?: boolean } = {},
): string[] {
  return [...new Set(values.flatMap((v) => paths(v, '', opts.needItems ?? false)))].sort();
}
