/**
 * Cisco-style AS-path regular expressions (`ip as-path access-list … permit REGEX`), matched
 * against the AS_PATH rendered as "65001 65002 {64512 64513}". `_` matches a delimiter: the
 * start or end of the path, a space, comma, brace or parenthesis; the rest is ordinary regex
 * syntax (`^$` = empty path, `^65001_` = learned from 65001, `_65515_` = 65515 anywhere).
 */

const DELIMITER = '(?:^|$|[ ,{}()\\[\\]])';

export class AsPathRegex {
  readonly source: string;
  readonly #re: RegExp;

  constructor(source: string) {
    this.source = source;
    let body = '';
    let inClass = false;
    for (let i = 0; i < source.length; i++) {
      const ch = source[i] as string;
      if (ch === '\\' && i + 1 < source.length) {
        body += ch + (source[i + 1] as string);
        i++;
      } else if (ch === '[') {
        inClass = true;
        body += ch;
      } else if (ch === ']') {
        inClass = false;
        body += ch;
      } else if (ch === '_' && !inClass) {
        body += DELIMITER;
      } else {
        body += ch;
      }
    }
    try {
      this.#re = new RegExp(body);
    } catch (e) {
      throw new Error(`bad as-path regex ${JSON.stringify(source)}: ${(e as Error).message}`, {
        cause: e,
      });
    }
  }

  /** Test against the rendered AS path (see `asPathText`). */
  test(asPath: string): boolean {
    return this.#re.test(asPath);
  }
}
