import { describe, expect, it } from 'vitest';
import { collisionToDump, collisionWinner } from '../../../src/bgp/collision.js';
import { parseBgpId } from '../../../src/bgp/open-negotiation.js';

const id = (s: string): number => parseBgpId(s)!;

describe('connection collision resolution (RFC 4271 §6.8, RFC 6286 §2.3)', () => {
  it.each([
    [
      'local id higher → keep the locally initiated connection',
      '10.0.0.2',
      '10.0.0.1',
      65001,
      65002,
      'locally-initiated',
    ],
    [
      'remote id higher → keep the remotely initiated connection',
      '10.0.0.1',
      '10.0.0.2',
      65001,
      65002,
      'remotely-initiated',
    ],
    [
      'ids compared unsigned: 200.0.0.1 > 10.0.0.1',
      '200.0.0.1',
      '10.0.0.1',
      1,
      2,
      'locally-initiated',
    ],
    [
      'equal ids: larger AS wins (RFC 6286 §2.3)',
      '10.0.0.1',
      '10.0.0.1',
      65002,
      65001,
      'locally-initiated',
    ],
    ['equal ids, remote AS larger', '10.0.0.1', '10.0.0.1', 65001, 65515, 'remotely-initiated'],
  ] as const)('%s', (_n, local, remote, localAs, remoteAs, winner) => {
    expect(
      collisionWinner({ localBgpId: id(local), remoteBgpId: id(remote), localAs, remoteAs }),
    ).toBe(winner);
  });

  const ids = {
    localBgpId: id('169.254.21.1'),
    remoteBgpId: id('10.0.0.4'),
    localAs: 65002,
    remoteAs: 65001,
  };
  it.each([
    [
      'existing outbound in OpenConfirm, new inbound; local id higher → dump incoming',
      'OpenConfirm',
      true,
      false,
      ids,
      'incoming',
    ],
    [
      'existing outbound in OpenConfirm, new inbound; remote id higher → dump existing',
      'OpenConfirm',
      true,
      false,
      { ...ids, localBgpId: id('1.1.1.1') },
      'existing',
    ],
    [
      'existing inbound in OpenSent, new outbound; local id higher → dump existing',
      'OpenSent',
      false,
      true,
      ids,
      'existing',
    ],
    ['existing Established always wins', 'Established', false, true, ids, 'incoming'],
    ['existing still in Connect: no collision yet', 'Connect', true, false, ids, 'none'],
    ['same direction: not a collision', 'OpenConfirm', true, true, ids, 'none'],
  ] as const)('%s', (_n, state, existingLocal, incomingLocal, idset, expected) => {
    expect(
      collisionToDump(
        { state, locallyInitiated: existingLocal },
        { state: 'OpenSent', locallyInitiated: incomingLocal },
        idset,
      ),
    ).toBe(expected);
  });
});
