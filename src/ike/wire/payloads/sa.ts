/**
 * Security Association payload (RFC 7296 §3.3): proposals, transforms and transform attributes.
 *
 *   Proposal:  Last(1) RESERVED(1) Proposal Length(2) Proposal Num(1) Protocol ID(1)
 *              SPI Size(1) Num Transforms(1) SPI(var) Transforms...
 *   Transform: Last(1) RESERVED(1) Transform Length(2) Type(1) RESERVED(1) Transform ID(2)
 *              Attributes...
 *   Attribute: AF|Attribute Type(2) Length or Value(2) [Value]
 */
import type { Reader } from '../../../lib/bytes/reader.js';
import type { Writer } from '../../../lib/bytes/writer.js';
import { TransformAttr } from '../constants.js';
import { malformed } from './common.js';

export interface TransformAttribute {
  readonly type: number;
  /** TV format (AF=1): a 16-bit value; TLV format (AF=0): the raw value bytes. */
  readonly value: number | Buffer;
}

export interface Transform {
  readonly type: number;
  readonly id: number;
  readonly attributes: readonly TransformAttribute[];
}

export interface Proposal {
  readonly num: number;
  readonly protocolId: number;
  readonly spi: Buffer;
  readonly transforms: readonly Transform[];
}

export interface SaPayload {
  readonly kind: 'sa';
  readonly proposals: readonly Proposal[];
}

const LAST = 0;
const MORE_PROPOSALS = 2;
const MORE_TRANSFORMS = 3;
const AF = 0x8000;

/** Key length in bits from the KEY_LENGTH attribute (RFC 7296 §3.3.5), or undefined. */
export function keyLengthOf(t: Transform): number | undefined {
  const a = t.attributes.find((x) => x.type === TransformAttr.KEY_LENGTH);
  return typeof a?.value === 'number' ? a.value : undefined;
}

/** A transform with an optional KEY_LENGTH attribute. */
export function transform(type: number, id: number, keyBits?: number): Transform {
  return {
    type,
    id,
    attributes: keyBits === undefined ? [] : [{ type: TransformAttr.KEY_LENGTH, value: keyBits }],
  };
}

function decodeAttribute(r: Reader): TransformAttribute {
  const t = r.u16();
  if (t & AF) return { type: t & 0x7fff, value: r.u16() };
  const len = r.u16();
  return { type: t, value: Buffer.from(r.bytes(len)) };
}

function attributeLength(a: TransformAttribute): number {
  return typeof a.value === 'number' ? 4 : 4 + a.value.length;
}

function decodeTransform(r: Reader): { t: Transform; last: boolean } {
  const lastByte = r.u8();
  if (lastByte !== LAST && lastByte !== MORE_TRANSFORMS) malformed('transform substructure');
  r.skip(1);
  const len = r.u16();
  if (len < 8) malformed('transform length');
  const body = r.sub(len - 4);
  const type = body.u8();
  body.skip(1);
  const id = body.u16();
  const attributes: TransformAttribute[] = [];
  while (!body.atEnd) attributes.push(decodeAttribute(body));
  return { t: { type, id, attributes }, last: lastByte === LAST };
}

function transformLength(t: Transform): number {
  return 8 + t.attributes.reduce((n, a) => n + attributeLength(a), 0);
}

function decodeProposal(r: Reader): { p: Proposal; last: boolean } {
  const lastByte = r.u8();
  if (lastByte !== LAST && lastByte !== MORE_PROPOSALS) malformed('proposal substructure');
  r.skip(1);
  const len = r.u16();
  if (len < 8) malformed('proposal length');
  const body = r.sub(len - 4);
  const num = body.u8();
  const protocolId = body.u8();
  const spiSize = body.u8();
  const count = body.u8();
  const spi = Buffer.from(body.bytes(spiSize));
  const transforms: Transform[] = [];
  for (let i = 0; i < count; i++) {
    const { t, last } = decodeTransform(body);
    transforms.push(t);
    if (last !== (i === count - 1)) malformed('transform last flag');
  }
  if (!body.atEnd) malformed('proposal trailing bytes');
  return { p: { num, protocolId, spi, transforms }, last: lastByte === LAST };
}

function proposalLength(p: Proposal): number {
  return 8 + p.spi.length + p.transforms.reduce((n, t) => n + transformLength(t), 0);
}

export function decodeSa(r: Reader): SaPayload {
  const proposals: Proposal[] = [];
  for (;;) {
    if (r.atEnd) malformed('SA payload without proposals');
    const { p, last } = decodeProposal(r);
    proposals.push(p);
    if (last) break;
  }
  if (r.remaining > 0) malformed('SA trailing bytes');
  return { kind: 'sa', proposals };
}

export function encodeSa(w: Writer, p: SaPayload): void {
  p.proposals.forEach((prop, i) => {
    w.u8(i === p.proposals.length - 1 ? LAST : MORE_PROPOSALS).u8(0);
    w.u16(proposalLength(prop));
    w.u8(prop.num).u8(prop.protocolId).u8(prop.spi.length).u8(prop.transforms.length);
    w.bytes(prop.spi);
    prop.transforms.forEach((t, j) => {
      w.u8(j === prop.transforms.length - 1 ? LAST : MORE_TRANSFORMS).u8(0);
      w.u16(transformLength(t));
      w.u8(t.type).u8(0).u16(t.id);
      for (const a of t.attributes) {
        if (typeof a.value === 'number') {
          w.u16(AF | a.type).u16(a.value);
        } else {
          w.u16(a.type & 0x7fff)
            .u16(a.value.length)
            .bytes(a.value);
        }
      }
    });
  });
}

export function saLength(p: SaPayload): number {
  return p.proposals.reduce((n, prop) => n + proposalLength(prop), 0);
}
