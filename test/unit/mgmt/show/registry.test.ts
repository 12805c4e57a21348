import { describe, expect, it } from 'vitest';
import { SHOW_COMMANDS } from '../../../../src/mgmt/show/index.js';
import {
  renderShowHelp,
  resolveShow,
  showPath,
  ShowError,
  type ShowCommand,
} from '../../../../src/mgmt/show/registry.js';

const cmd = (name: string, params?: ShowCommand['params']): ShowCommand => ({
  name,
  summary: `summary of ${name}`,
  ...(params ? { params } : {}),
  collect: () => ({}),
  render: () => '',
});

const COMMANDS = [
  cmd('version'),
  cmd('running-config'),
  cmd('interfaces'),
  cmd('ip bgp summary'),
  cmd('ip bgp'),
  cmd('ip bgp neighbors', [
    { name: 'ADDRESS', summary: 'neighbor', optional: true },
    { name: 'routes', summary: 'which', optional: true },
  ]),
  cmd('ip route'),
  cmd('crypto ipsec sa'),
  cmd('crypto ikev2 sa'),
];

function err(words: string[]): ShowError {
  try {
    resolveShow(COMMANDS, words);
  } catch (e) {
    if (e instanceof ShowError) return e;
    throw e;
  }
  throw new Error('expected a ShowError');
}

describe('resolveShow', () => {
  it.each([
    [['version'], 'version', []],
    [['ver'], 'version', []],
    [['run'], 'running-config', []],
    [['int'], 'interfaces', []],
    [['ip', 'bgp', 'sum'], 'ip bgp summary', []],
    [['ip', 'bgp'], 'ip bgp', []],
    [
      ['ip', 'bgp', 'neighbors', '169.254.21.2', 'routes'],
      'ip bgp neighbors',
      ['169.254.21.2', 'routes'],
    ],
    [['IP', 'Route'], 'ip route', []],
    [['crypto', 'ikev2', 'sa'], 'crypto ikev2 sa', []],
    [['cry', 'ips', 'sa'], 'crypto ipsec sa', []],
  ])('%j → %s %j', (words, name, args) => {
    const r = resolveShow(COMMANDS, words);
    expect(r.command.name).toBe(name);
    expect(r.args).toEqual(args);
  });

  it('rejects ambiguous abbreviations with 400 naming the candidates', () => {
    const e = err(['crypto', 'i', 'sa']);
    expect(e.status).toBe(400);
    expect(e.message).toBe('ambiguous command "crypto i sa": "crypto ipsec sa", "crypto ikev2 sa"');
  });

  it('rejects unknown commands with 404', () => {
    const e = err(['nonsense']);
    expect(e.status).toBe(404);
    expect(e.message).toBe('unknown show command "nonsense"');
  });

  it('rejects extra arguments and an empty command with 400', () => {
    expect(err(['version', 'extra']).message).toBe('"show version": unexpected argument "extra"');
    expect(err(['version', 'extra']).status).toBe(400);
    expect(err([]).status).toBe(400);
  });

  it('reports a missing required argument', () => {
    const withArg = [cmd('ip bgp neighbors', [{ name: 'ADDRESS', summary: 'neighbor' }])];
    expect(() => resolveShow(withArg, ['ip', 'bgp', 'neighbors'])).toThrow(
      '"show ip bgp neighbors": missing argument ADDRESS',
    );
  });
});

describe('help and paths', () => {
  it('lists every registered command with its parameters', () => {
    const help = renderShowHelp(COMMANDS);
    expect(help).toContain('  ip bgp neighbors [ADDRESS] [routes]  summary of ip bgp neighbors\n');
    expect(help.split('\n').filter((l) => l.startsWith('  '))).toHaveLength(COMMANDS.length);
  });

  it('builds /v1/show paths from words, URL-encoding arguments', () => {
    const c = cmd('ip bgp neighbors', [{ name: 'A', summary: '' }]);
    expect(showPath(c, ['2001:db8::1'])).toBe('/v1/show/ip/bgp/neighbors/2001%3Adb8%3A%3A1');
  });

  it('the shipped registry has unique names and the foundation commands', () => {
    const names = SHOW_COMMANDS.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(expect.arrayContaining(['version', 'running-config', 'interfaces']));
  });
});
