/**
 * The RFC 4271 §8.2.2 FSM as a transition table: state × event → next state + key actions.
 */
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_FSM_CONFIG,
  fsmConfig,
  INITIAL_FSM_STATE,
  step,
  type BgpEvent,
  type BgpFsmAction,
  type BgpFsmConfig,
  type BgpFsmState,
  type BgpState,
} from '../../../src/bgp/fsm.js';
import type { NegotiatedSession } from '../../../src/bgp/open-negotiation.js';

const SESSION: NegotiatedSession = {
  remoteAs: 65515,
  remoteBgpId: 0x0a000004,
  as4: true,
  ibgp: false,
  holdTimeSec: 90,
  keepaliveSec: 30,
  families: [{ afi: 1, safi: 1 }],
  routeRefresh: true,
  enhancedRouteRefresh: false,
  extendedMessage: false,
  remoteCapabilities: [],
};

const CFG: BgpFsmConfig = DEFAULT_FSM_CONFIG;

function at(state: BgpState, extra: Partial<BgpFsmState> = {}): BgpFsmState {
  const withSession = state === 'OpenConfirm' || state === 'Established';
  return {
    ...INITIAL_FSM_STATE,
    state,
    autoRestart: true,
    connectRetryCounter: 2,
    session: withSession ? SESSION : undefined,
    ...extra,
  };
}

const NOTIF = { errorCode: 6, subcode: 2, data: new Uint8Array(0) };
const HDR_ERR = { errorCode: 1, subcode: 2, data: Uint8Array.of(0, 5) };
const OPEN_ERR = { errorCode: 2, subcode: 2, data: new Uint8Array(0) };
const UPD_ERR = { errorCode: 3, subcode: 1, data: new Uint8Array(0) };

const E = {
  ManualStart: { type: 'ManualStart' },
  ManualStop: { type: 'ManualStop' },
  AutomaticStart: { type: 'AutomaticStart' },
  PassiveStart: { type: 'ManualStart_with_PassiveTcpEstablishment' },
  AutomaticStop: { type: 'AutomaticStop' },
  ConnectRetry: { type: 'ConnectRetryTimer_Expires' },
  Hold: { type: 'HoldTimer_Expires' },
  Keepalive: { type: 'KeepaliveTimer_Expires' },
  IdleHold: { type: 'IdleHoldTimer_Expires' },
  TcpValid: { type: 'TcpConnection_Valid' },
  TcpInvalid: { type: 'Tcp_CR_Invalid' },
  TcpAcked: { type: 'Tcp_CR_Acked' },
  TcpConfirmed: { type: 'TcpConnectionConfirmed' },
  TcpFails: { type: 'TcpConnectionFails' },
  Open: { type: 'BGPOpen', session: SESSION },
  HeaderErr: { type: 'BGPHeaderErr', error: HDR_ERR },
  OpenErr: { type: 'BGPOpenMsgErr', error: OPEN_ERR },
  Collision: { type: 'OpenCollisionDump' },
  NotifVer: {
    type: 'NotifMsgVerErr',
    notification: { errorCode: 2, subcode: 1, data: Uint8Array.of(0, 4) },
  },
  Notif: { type: 'NotifMsg', notification: NOTIF },
  KeepAliveMsg: { type: 'KeepAliveMsg' },
  Update: { type: 'UpdateMsg' },
  UpdateErr: { type: 'UpdateMsgErr', error: UPD_ERR },
  RouteRefresh: { type: 'RouteRefreshMsg' },
} satisfies Record<string, BgpEvent>;

type K = keyof typeof E;

const sendNotif = (errorCode: number, subcode: number): BgpFsmAction => ({
  type: 'send-notification',
  notification: expect.objectContaining({ errorCode, subcode }) as never,
});
const start = (
  timer: 'ConnectRetry' | 'Hold' | 'Keepalive' | 'IdleHold',
  seconds: number,
): BgpFsmAction => ({
  type: 'start-timer',
  timer,
  seconds,
});
const CONNECT: BgpFsmAction = { type: 'connect' };
const CLOSE: BgpFsmAction = { type: 'close' };
const RELEASE: BgpFsmAction = { type: 'release-resources' };
const SEND_OPEN: BgpFsmAction = { type: 'send-open' };
const SEND_KA: BgpFsmAction = { type: 'send-keepalive' };

// [from, event, to, actions that must be present, counter after]
const TABLE: [BgpState, K, BgpState, BgpFsmAction[], number?][] = [
  // Idle
  ['Idle', 'ManualStart', 'Connect', [start('ConnectRetry', 5), CONNECT], 0],
  ['Idle', 'AutomaticStart', 'Connect', [start('ConnectRetry', 5), CONNECT], 0],
  ['Idle', 'PassiveStart', 'Active', [start('ConnectRetry', 5)], 0],
  ['Idle', 'IdleHold', 'Connect', [CONNECT]],
  ['Idle', 'ManualStop', 'Idle', [{ type: 'stop-timer', timer: 'IdleHold' }]],
  ['Idle', 'TcpValid', 'Idle', [CLOSE]],
  ['Idle', 'Hold', 'Idle', [], 2],
  ['Idle', 'Open', 'Idle', [], 2],
  ['Idle', 'Update', 'Idle', [], 2],
  // Connect
  ['Connect', 'ManualStart', 'Connect', []],
  ['Connect', 'ManualStop', 'Idle', [CLOSE, RELEASE], 0],
  ['Connect', 'ConnectRetry', 'Connect', [CLOSE, start('ConnectRetry', 5), CONNECT]],
  ['Connect', 'TcpValid', 'Connect', []],
  ['Connect', 'TcpInvalid', 'Connect', [CLOSE]],
  [
    'Connect',
    'TcpAcked',
    'OpenSent',
    [SEND_OPEN, start('Hold', 240), { type: 'stop-timer', timer: 'ConnectRetry' }],
  ],
  ['Connect', 'TcpConfirmed', 'OpenSent', [SEND_OPEN, start('Hold', 240)]],
  ['Connect', 'TcpFails', 'Idle', [CLOSE, RELEASE, start('IdleHold', 5)], 2],
  ['Connect', 'HeaderErr', 'Idle', [CLOSE], 3],
  ['Connect', 'OpenErr', 'Idle', [CLOSE], 3],
  ['Connect', 'NotifVer', 'Idle', [CLOSE], 3],
  ['Connect', 'Hold', 'Idle', [CLOSE, RELEASE], 3],
  ['Connect', 'Open', 'Idle', [CLOSE], 3],
  ['Connect', 'Update', 'Idle', [CLOSE], 3],
  ['Connect', 'AutomaticStop', 'Idle', [CLOSE], 3],
  // Active
  ['Active', 'AutomaticStart', 'Active', []],
  ['Active', 'ManualStop', 'Idle', [RELEASE], 0],
  ['Active', 'ConnectRetry', 'Connect', [start('ConnectRetry', 5), CONNECT]],
  ['Active', 'TcpConfirmed', 'OpenSent', [SEND_OPEN, start('Hold', 240)]],
  ['Active', 'TcpAcked', 'OpenSent', [SEND_OPEN]],
  ['Active', 'TcpInvalid', 'Active', [CLOSE]],
  ['Active', 'TcpFails', 'Idle', [RELEASE], 3],
  ['Active', 'OpenErr', 'Idle', [RELEASE], 3],
  ['Active', 'KeepAliveMsg', 'Idle', [RELEASE], 3],
  ['Active', 'Collision', 'Idle', [RELEASE], 3],
  // OpenSent
  ['OpenSent', 'ManualStart', 'OpenSent', []],
  ['OpenSent', 'ManualStop', 'Idle', [sendNotif(6, 2), CLOSE, RELEASE], 0],
  ['OpenSent', 'AutomaticStop', 'Idle', [sendNotif(6, 2), CLOSE], 3],
  ['OpenSent', 'Hold', 'Idle', [sendNotif(4, 0), CLOSE], 3],
  ['OpenSent', 'TcpValid', 'OpenSent', []],
  ['OpenSent', 'TcpConfirmed', 'OpenSent', []],
  ['OpenSent', 'TcpFails', 'Active', [CLOSE, start('ConnectRetry', 5)], 2],
  ['OpenSent', 'Open', 'OpenConfirm', [SEND_KA, start('Keepalive', 30), start('Hold', 90)]],
  ['OpenSent', 'HeaderErr', 'Idle', [sendNotif(1, 2), CLOSE], 3],
  ['OpenSent', 'OpenErr', 'Idle', [sendNotif(2, 2), CLOSE], 3],
  ['OpenSent', 'Collision', 'Idle', [sendNotif(6, 7), CLOSE], 3],
  ['OpenSent', 'NotifVer', 'Idle', [CLOSE], 2],
  ['OpenSent', 'Notif', 'Idle', [CLOSE], 3],
  ['OpenSent', 'ConnectRetry', 'Idle', [sendNotif(5, 1), CLOSE], 3],
  ['OpenSent', 'Keepalive', 'Idle', [sendNotif(5, 1)], 3],
  ['OpenSent', 'KeepAliveMsg', 'Idle', [sendNotif(5, 1)], 3],
  ['OpenSent', 'Update', 'Idle', [sendNotif(5, 1)], 3],
  ['OpenSent', 'UpdateErr', 'Idle', [sendNotif(5, 1)], 3],
  // OpenConfirm
  ['OpenConfirm', 'AutomaticStart', 'OpenConfirm', []],
  ['OpenConfirm', 'ManualStop', 'Idle', [sendNotif(6, 2), CLOSE, RELEASE], 0],
  ['OpenConfirm', 'AutomaticStop', 'Idle', [sendNotif(6, 2)], 3],
  ['OpenConfirm', 'Hold', 'Idle', [sendNotif(4, 0), CLOSE], 3],
  ['OpenConfirm', 'Keepalive', 'OpenConfirm', [SEND_KA, start('Keepalive', 30)]],
  ['OpenConfirm', 'TcpConfirmed', 'OpenConfirm', []],
  ['OpenConfirm', 'TcpFails', 'Idle', [CLOSE, RELEASE], 3],
  ['OpenConfirm', 'Notif', 'Idle', [CLOSE], 3],
  ['OpenConfirm', 'NotifVer', 'Idle', [CLOSE], 2],
  ['OpenConfirm', 'HeaderErr', 'Idle', [sendNotif(1, 2)], 3],
  ['OpenConfirm', 'OpenErr', 'Idle', [sendNotif(2, 2)], 3],
  ['OpenConfirm', 'Collision', 'Idle', [sendNotif(6, 7), CLOSE], 3],
  [
    'OpenConfirm',
    'KeepAliveMsg',
    'Established',
    [
      start('Hold', 90),
      { type: 'session-up', session: SESSION },
      { type: 'count', counter: 'established' },
    ],
  ],
  ['OpenConfirm', 'Open', 'Idle', [sendNotif(5, 2)], 3],
  ['OpenConfirm', 'Update', 'Idle', [sendNotif(5, 2)], 3],
  ['OpenConfirm', 'ConnectRetry', 'Idle', [sendNotif(5, 2)], 3],
  // Established
  ['Established', 'ManualStart', 'Established', []],
  ['Established', 'ManualStop', 'Idle', [sendNotif(6, 2), RELEASE, CLOSE], 0],
  ['Established', 'AutomaticStop', 'Idle', [sendNotif(6, 2), RELEASE], 3],
  ['Established', 'Hold', 'Idle', [sendNotif(4, 0), RELEASE, CLOSE], 3],
  ['Established', 'Keepalive', 'Established', [SEND_KA, start('Keepalive', 30)]],
  ['Established', 'TcpValid', 'Established', []],
  ['Established', 'Collision', 'Idle', [sendNotif(6, 7)], 3],
  ['Established', 'TcpFails', 'Idle', [RELEASE, CLOSE], 3],
  ['Established', 'Notif', 'Idle', [RELEASE, CLOSE], 3],
  ['Established', 'NotifVer', 'Idle', [RELEASE], 3],
  ['Established', 'KeepAliveMsg', 'Established', [start('Hold', 90)]],
  ['Established', 'Update', 'Established', [{ type: 'process-update' }, start('Hold', 90)]],
  [
    'Established',
    'RouteRefresh',
    'Established',
    [{ type: 'process-route-refresh' }, start('Hold', 90)],
  ],
  ['Established', 'UpdateErr', 'Idle', [sendNotif(3, 1), RELEASE, CLOSE], 3],
  ['Established', 'HeaderErr', 'Idle', [sendNotif(1, 2)], 3],
  ['Established', 'Open', 'Idle', [sendNotif(5, 3), RELEASE], 3],
  ['Established', 'OpenErr', 'Idle', [sendNotif(5, 3)], 3],
  ['Established', 'ConnectRetry', 'Idle', [sendNotif(5, 3)], 3],
];

describe('BGP FSM transition table (RFC 4271 §8.2.2)', () => {
  it.each(TABLE)('%s + %s → %s', (from, ev, to, actions, counter) => {
    const r = step(CFG, at(from), E[ev]);
    expect(r.state.state).toBe(to);
    expect(r.actions).toEqual(expect.arrayContaining(actions));
    expect(r.reason.length).toBeGreaterThan(0);
    if (counter !== undefined) expect(r.state.connectRetryCounter).toBe(counter);
    if (to === 'Idle' && from !== 'Idle') {
      expect(r.state.session).toBeUndefined();
      expect(r.actions).toContainEqual(RELEASE);
    }
  });

  it('covers every state × event pair without throwing and always gives a reason', () => {
    const states: BgpState[] = [
      'Idle',
      'Connect',
      'Active',
      'OpenSent',
      'OpenConfirm',
      'Established',
    ];
    for (const s of states) {
      for (const ev of Object.values(E)) {
        const r = step(CFG, at(s), ev);
        expect(r.reason).not.toBe('');
      }
    }
  });
});

describe('BGP FSM behaviour', () => {
  it('runs a full active open: Idle → Connect → OpenSent → OpenConfirm → Established', () => {
    let s = INITIAL_FSM_STATE;
    const seen: BgpState[] = [];
    for (const ev of [E.ManualStart, E.TcpAcked, E.Open, E.KeepAliveMsg]) {
      s = step(CFG, s, ev).state;
      seen.push(s.state);
    }
    expect(seen).toEqual(['Connect', 'OpenSent', 'OpenConfirm', 'Established']);
    expect(s.session).toEqual(SESSION);
  });

  it('uses a SHORT connect-retry timer by default (Azure never opens BGP from APIPA)', () => {
    expect(DEFAULT_FSM_CONFIG.connectRetrySec).toBeLessThanOrEqual(10);
    const r = step({ ...CFG, connectRetrySec: 3 }, INITIAL_FSM_STATE, E.ManualStart);
    expect(r.actions).toContainEqual(start('ConnectRetry', 3));
  });

  it('fsmConfig: 5 s connect-retry for active neighbors, RFC 4271 §10 120 s for passive ones', () => {
    expect(fsmConfig().connectRetrySec).toBe(5);
    expect(fsmConfig({ passive: true })).toMatchObject({ connectRetrySec: 120, passive: true });
    expect(fsmConfig({ connectRetrySec: 2, holdTimeSec: 30 })).toMatchObject({
      connectRetrySec: 2,
      holdTimeSec: 30,
    });
  });

  it('a passive neighbor never initiates, even when ConnectRetry expires', () => {
    const cfg = { ...CFG, passive: true };
    const r1 = step(cfg, INITIAL_FSM_STATE, E.ManualStart);
    expect(r1.state.state).toBe('Active');
    expect(r1.actions).not.toContainEqual(CONNECT);
    const r2 = step(cfg, r1.state, E.ConnectRetry);
    expect(r2.state.state).toBe('Active');
    expect(r2.actions).not.toContainEqual(CONNECT);
  });

  it('hold time 0 negotiated: no Hold or Keepalive timers (RFC 4271 §4.2)', () => {
    const zero = { ...SESSION, holdTimeSec: 0, keepaliveSec: 0 };
    const r = step(CFG, at('OpenSent'), { type: 'BGPOpen', session: zero });
    expect(r.actions.filter((a) => a.type === 'start-timer')).toEqual([]);
    const est = step(CFG, r.state, E.KeepAliveMsg);
    expect(est.state.state).toBe('Established');
    expect(est.actions.filter((a) => a.type === 'start-timer')).toEqual([]);
  });

  it('ManualStop disables automatic restart; an error keeps it (IdleHold armed)', () => {
    const stopped = step(CFG, at('Established'), E.ManualStop);
    expect(stopped.state.autoRestart).toBe(false);
    expect(stopped.actions.some((a) => a.type === 'start-timer')).toBe(false);
    expect(step(CFG, stopped.state, E.IdleHold).state.state).toBe('Idle');
    const failed = step(CFG, at('Established'), E.Hold);
    expect(failed.state.autoRestart).toBe(true);
    expect(failed.state.lastError).toBe('hold timer expired');
    expect(failed.actions).toContainEqual(start('IdleHold', 5));
    expect(step(CFG, failed.state, E.IdleHold).state.state).toBe('Connect');
  });

  it('records the received NOTIFICATION as the reason the session went down', () => {
    const r = step(CFG, at('Established'), E.Notif);
    expect(r.state.lastError).toBe('received CEASE/ADMINISTRATIVE_SHUTDOWN');
    expect(r.reason).toContain('CEASE');
  });

  it('ManualStop may carry its own NOTIFICATION (RFC 9003 shutdown communication)', () => {
    const n = { errorCode: 6, subcode: 2, data: Uint8Array.of(2, 0x68, 0x69) };
    const r = step(CFG, at('Established'), { type: 'ManualStop', notification: n });
    expect(r.actions).toContainEqual({ type: 'send-notification', notification: n });
  });

  it('is pure: the input state is not modified', () => {
    const s = at('OpenSent');
    const copy = { ...s };
    step(CFG, s, E.Open);
    expect(s).toEqual(copy);
  });
});
