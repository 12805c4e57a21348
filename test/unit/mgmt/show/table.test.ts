import { describe, expect, it } from 'vitest';
import { formatDuration, formatUptime, renderTable } from '../../../../src/mgmt/show/table.js';

describe('renderTable', () => {
  it('pads columns to the widest cell or header and trims line ends', () => {
    const text = renderTable(
      ['Interface', { header: 'MTU', align: 'right' }, 'Status'],
      [
        ['lo', '65536', 'up'],
        ['Tunnel101', '1400', ''],
      ],
    );
    expect(text).toBe(
      ['Interface   MTU Status', 'lo        65536 up', 'Tunnel101  1400'].join('\n') + '\n',
    );
  });

  it('honours minWidth and gap, and leaves missing cells blank', () => {
    const text = renderTable([{ header: 'A', minWidth: 4 }, 'B'], [['x']], { gap: 2 });
    expect(text).toBe('A     B\nx\n');
  });
});

describe('formatUptime / formatDuration', () => {
  it.each([
    [0, '0 seconds'],
    [1, '1 second'],
    [59, '59 seconds'],
    [60, '1 minute'],
    [3661, '1 hour, 1 minute'],
    [93784, '1 day, 2 hours, 3 minutes'],
    [2 * 86400, '2 days'],
  ])('formatUptime(%i) = %s', (sec, text) => {
    expect(formatUptime(sec)).toBe(text);
  });

  it.each([
    [0, '00:00:00'],
    [3723, '01:02:03'],
    [86399, '23:59:59'],
    [90000, '1d01h'],
  ])('formatDuration(%i) = %s', (sec, text) => {
    expect(formatDuration(sec)).toBe(text);
  });
});
