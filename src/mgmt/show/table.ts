/**
 * Catalyst-style text tables: a header row and left-aligned (or right-aligned) columns padded with
 * spaces, like `show ip interface brief`. Pure string formatting; no terminal control codes.
 */
export interface Column {
  readonly header: string;
  readonly align?: 'left' | 'right';
  /** Minimum width in characters (a column is never narrower than its header or widest cell). */
  readonly minWidth?: number;
}

export interface TableOptions {
  /** Spaces between columns (default 1). */
  readonly gap?: number;
}

/** Render rows under headers; missing cells are blank, trailing spaces are trimmed per line. */
export function renderTable(
  columns: readonly (string | Column)[],
  rows: readonly (readonly string[])[],
  opts: TableOptions = {},
): string {
  const cols: Column[] = columns.map((c) => (typeof c === 'string' ? { header: c } : c));
  const gap = ' '.repeat(opts.gap ?? 1);
  const widths = cols.map((c, i) =>
    Math.max(c.header.length, c.minWidth ?? 0, ...rows.map((r) => (r[i] ?? '').length)),
  );
  const line = (cells: readonly string[]): string =>
    cols
      .map((c, i) => {
        const cell = cells[i] ?? '';
        const width = widths[i] ?? 0;
        return c.align === 'right' ? cell.padStart(width) : cell.padEnd(width);
      })
      .join(gap)
      .trimEnd();
  return [line(cols.map((c) => c.header)), ...rows.map(line)].join('\n') + '\n';
}

/** Seconds as Catalyst's uptime phrase: "2 days, 3 hours, 4 minutes" (seconds when under a minute). */
export function formatUptime(totalSec: number): string {
  const sec = Math.max(0, Math.floor(totalSec));
  const parts: [number, string][] = [
    [Math.floor(sec / 86400), 'day'],
    [Math.floor((sec % 86400) / 3600), 'hour'],
    [Math.floor((sec % 3600) / 60), 'minute'],
  ];
  const words = parts.filter(([n]) => n > 0).map(([n, w]) => `${n} ${w}${n === 1 ? '' : 's'}`);
  if (words.length === 0) return `${sec} second${sec === 1 ? '' : 's'}`;
  return words.join(', ');
}

/** Seconds as hh:mm:ss, or "NdNNh" beyond a day (Catalyst's Up/Down column). */
export function formatDuration(totalSec: number): string {
  const sec = Math.max(0, Math.floor(totalSec));
  if (sec >= 86400) {
    const d = Math.floor(sec / 86400);
    const h = Math.floor((sec % 86400) / 3600);
    return `${d}d${String(h).padStart(2, '0')}h`;
  }
  const hh = String(Math.floor(sec / 3600)).padStart(2, '0');
  const mm = String(Math.floor((sec % 3600) / 60)).padStart(2, '0');
  const ss = String(sec % 60).padStart(2, '0');
  return `${hh}:${mm}:${ss}`;
}
