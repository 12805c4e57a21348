/**
 * `POST /v1/clear/ip/bgp`: body validation, the action registry lookup (published as a view, or
 * given to the server), method and bearer-token rules, 400/404/405/413/503 answers.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { closeActionServers, post, startActionServer } from './action-server.js';
import {
  ActionInputError,
  CLEAR_IP_BGP,
  parseClearBgpRequest,
  type ClearBgpDto,
  type ClearBgpRequest,
} from '../../../../src/mgmt/api/clear-bgp.js';
import {
  ACTIONS_VIEW,
  ActionRegistry,
  actionsOf,
  ViewRegistry,
} from '../../../../src/mgmt/show/context.js';

afterEach(closeActionServers);

const ANSWER: ClearBgpDto = {
  neighbors: [
    { neighbor: '169.254.21.2', address: '169.254.21.2', routingContext: null, actions: ['reset'] },
  ],
};

/** A server whose clear action records its requests and knows one neighbor. */
async function start(opts: { token?: string; provide?: boolean; viaView?: boolean } = {}): Promise<{
  base: string;
  seen: ClearBgpRequest[];
}> {
  const seen: ClearBgpRequest[] = [];
  const registry = new ActionRegistry();
  if (opts.provide ?? true) {
    registry.provide(CLEAR_IP_BGP, (req) => {
      seen.push(req);
      return req.neighbor === '*' || req.neighbor === '169.254.21.2' ? ANSWER : undefined;
    });
  }
  const base = await startActionServer(registry, {
    ...(opts.token !== undefined ? { token: opts.token } : {}),
    ...(opts.viaView !== undefined ? { viaView: opts.viaView } : {}),
  });
  return { base, seen };
}

function postClear(
  base: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<Response> {
  return post(`${base}/v1/clear/ip/bgp`, body, headers);
}

describe('parseClearBgpRequest', () => {
  it.each([
    [{ neighbor: '*' }, { neighbor: '*' }],
    [
      { neighbor: '169.254.21.2', soft: 'in' },
      { neighbor: '169.254.21.2', soft: 'in' },
    ],
    [
      { neighbor: '2001:DB8::0:1', soft: 'both' },
      { neighbor: '2001:db8::1', soft: 'both' },
    ],
    [
      { neighbor: '10.0.255.254', context: 'outside-one', soft: 'out' },
      { neighbor: '10.0.255.254', context: 'outside-one', soft: 'out' },
    ],
  ])('accepts %j', (body, want) => {
    expect(parseClearBgpRequest(body)).toEqual(want);
  });

  it.each([
    [null, 'body must be a JSON object'],
    [[], 'body must be a JSON object'],
    [{}, '"neighbor" must be "*" or an IP address'],
    [{ neighbor: 'router1' }, '"neighbor" must be "*" or an IP address'],
    [{ neighbor: '*', soft: 'sideways' }, '"soft" must be "in", "out" or "both"'],
    [{ neighbor: '*', context: '' }, '"context" must be a routing context name'],
    [{ neighbor: '*', force: true }, 'unknown field "force"'],
  ])('rejects %j', (body, message) => {
    expect(() => parseClearBgpRequest(body)).toThrow(ActionInputError);
    expect(() => parseClearBgpRequest(body)).toThrow(message);
  });
});

describe('actionsOf', () => {
  it('creates the registry once and publishes it as a view', () => {
    const views = new ViewRegistry();
    const a = actionsOf(views);
    expect(actionsOf(views)).toBe(a);
    expect(views.get(ACTIONS_VIEW)).toBe(a);
    expect(a.get(CLEAR_IP_BGP)).toBeUndefined();
  });
});

describe('POST /v1/clear/ip/bgp', () => {
  it('runs the action with the validated request and answers its DTO', async () => {
    const { base, seen } = await start();
    const res = await postClear(base, JSON.stringify({ neighbor: '169.254.21.2', soft: 'in' }));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(ANSWER);
    expect(seen).toEqual([{ neighbor: '169.254.21.2', soft: 'in' }]);
  });

  it('finds the action through the show context view when none is given', async () => {
    const { base, seen } = await start({ viaView: true });
    const res = await postClear(base, '{"neighbor":"*"}');
    expect(res.status).toBe(200);
    expect(seen).toEqual([{ neighbor: '*' }]);
  });

  it('404 for an unknown neighbor', async () => {
    const { base } = await start();
    const res = await postClear(base, '{"neighbor":"192.0.2.1"}');
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { status: 404, message: 'no such BGP neighbor' } });
  });

  it('400 for a body that is not JSON or not a valid request', async () => {
    const { base, seen } = await start();
    const bad = await postClear(base, '{neighbor:');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: { status: 400, message: 'body must be JSON' } });
    const wrong = await postClear(base, '{"neighbor":"*","soft":"up"}');
    expect(wrong.status).toBe(400);
    expect(((await wrong.json()) as { error: { message: string } }).error.message).toBe(
      '"soft" must be "in", "out" or "both"',
    );
    expect(seen).toEqual([]);
  });

  it('413 for an oversized body', async () => {
    const { base } = await start();
    const res = await postClear(base, JSON.stringify({ neighbor: '*', pad: 'x'.repeat(20_000) }));
    expect(res.status).toBe(413);
  });

  it('405 with Allow: POST for GET; GET-only resources refuse POST', async () => {
    const { base } = await start();
    const get = await fetch(`${base}/v1/clear/ip/bgp`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    const p = await fetch(`${base}/v1/status`, { method: 'POST', body: '{}' });
    expect(p.status).toBe(405);
    expect(p.headers.get('allow')).toBe('GET, HEAD');
    const unknown = await fetch(`${base}/v1/clear/ip/ospf`, { method: 'POST', body: '{}' });
    expect(unknown.status).toBe(404);
  });

  it('503 when no component provides the action (BGP not running)', async () => {
    const { base } = await start({ provide: false });
    const res = await postClear(base, '{"neighbor":"*"}');
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({
      error: { status: 503, message: 'clear ip bgp is not available' },
    });
  });

  it('needs the bearer token like every GET', async () => {
    const { base, seen } = await start({ token: 's3cret-token' });
    const none = await postClear(base, '{"neighbor":"*"}');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="nvad"');
    const wrong = await postClear(base, '{"neighbor":"*"}', { authorization: 'Bearer nope' });
    expect(wrong.status).toBe(401);
    expect(seen).toEqual([]);
    const ok = await postClear(base, '{"neighbor":"*"}', { authorization: 'Bearer s3cret-token' });
    expect(ok.status).toBe(200);
    expect(seen).toEqual([{ neighbor: '*' }]);
  });
});
