/**
 * Shared body validation for the operator actions (`POST /v1/clear/...`): a request body is a JSON
 * object with known fields only; anything else is an {@link ActionInputError} (400). Messages name
 * the field, never echo a value.
 */
import { formatIp, parseIp } from '../../lib/ip/addr.js';

/** A request body the API rejects with 400; the message names the field, never echoes a value. */
export class ActionInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ActionInputError';
  }
}

/** `body` as an object holding only `fields` (400 otherwise). */
export function actionBody(body: unknown, fields: readonly string[]): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new ActionInputError('body must be a JSON object');
  }
  const o = body as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!fields.includes(k)) throw new ActionInputError(`unknown field "${k.slice(0, 40)}"`);
  }
  return o;
}

/** An IP address field, normalised ("2001:DB8::1" → "2001:db8::1"); `what` names it in the 400. */
export function ipField(value: unknown, what: string): string {
  const ip = typeof value === 'string' ? parseIp(value) : null;
  if (!ip) throw new ActionInputError(what);
  return formatIp(ip);
}

/** An optional non-empty name field (absent → undefined). */
export function optionalName(value: unknown, what: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') {
    throw new ActionInputError(what);
  }
  return value;
}
