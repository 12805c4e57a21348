import { describe, expect, it } from 'vitest';
import {
  formatListen,
  isLoopbackHost,
  listenUrl,
  parseListen,
} from '../../../../src/mgmt/api/listen.js';

describe('listen addresses', () => {
  it.each([
    ['127.0.0.1:9180', { host: '127.0.0.1', port: 9180 }],
    ['[::1]:9180', { host: '::1', port: 9180 }],
    ['0.0.0.0:80', { host: '0.0.0.0', port: 80 }],
    ['localhost:1', { host: 'localhost', port: 1 }],
  ])('parses %s', (text, expected) => {
    expect(parseListen(text)).toEqual(expected);
    expect(formatListen(expected)).toBe(text);
  });

  it.each(['127.0.0.1', '::1:9180', '127.0.0.1:65536', 'example.com:80', '[127.0.0.1:80', ':80'])(
    'rejects %s',
    (text) => {
      expect(parseListen(text)).toBeNull();
    },
  );

  it.each([
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['::1', true],
    ['::ffff:127.0.0.1', true],
    ['localhost', true],
    ['0.0.0.0', false],
    ['::', false],
    ['10.0.0.1', false],
    ['128.0.0.1', false],
  ])('isLoopbackHost(%s) = %s', (host, expected) => {
    expect(isLoopbackHost(host)).toBe(expected);
  });

  it('maps wildcard listen addresses to a loopback URL', () => {
    expect(listenUrl({ host: '0.0.0.0', port: 9 })).toBe('http://127.0.0.1:9');
    expect(listenUrl({ host: '::', port: 9 })).toBe('http://[::1]:9');
    expect(listenUrl({ host: '10.0.0.1', port: 9 })).toBe('http://10.0.0.1:9');
  });
});
