/**
 * RFC 1997 community text ⇄ value: "65000:100" (AS:value, 16 bits each) and the well-known names
 * used in the configuration (`no-export`, `no-advertise`, `no-export-subconfed`, `local-as`).
 */
import { WellKnownCommunity } from '../wire/constants.js';

/** Config names of well-known communities. `local-as` is Cisco's name for NO_EXPORT_SUBCONFED. */
export const CommunityName = {
  'no-export': WellKnownCommunity.NO_EXPORT,
  'no-advertise': WellKnownCommunity.NO_ADVERTISE,
  'no-export-subconfed': WellKnownCommunity.NO_EXPORT_SUBCONFED,
  'local-as': WellKnownCommunity.NO_EXPORT_SUBCONFED,
} as const;

/** Parse a community; throws on bad text (the config layer validated it already). */
export function parseCommunity(s: string): number {
  const named = (CommunityName as Record<string, number | undefined>)[s];
  if (named !== undefined) return named;
  const m = /^(\d{1,5}):(\d{1,5})$/.exec(s);
  if (!m || Number(m[1]) > 0xffff || Number(m[2]) > 0xffff) {
    throw new Error(`bad community ${JSON.stringify(s)}`);
  }
  return ((Number(m[1]) << 16) | Number(m[2])) >>> 0;
}

export function formatCommunity(c: number): string {
  switch (c >>> 0) {
    case WellKnownCommunity.NO_EXPORT:
      return 'no-export';
    case WellKnownCommunity.NO_ADVERTISE:
      return 'no-advertise';
    case WellKnownCommunity.NO_EXPORT_SUBCONFED:
      return 'local-as';
    default:
      return `${(c >>> 16) & 0xffff}:${c & 0xffff}`;
  }
}
