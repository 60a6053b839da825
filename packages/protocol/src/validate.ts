import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import type { TSchema } from '@sinclair/typebox';
import { CLIENT_FRAME_SCHEMAS, type ClientFrame, type ClientOp, type ReqId } from './frames.js';
import { CONTENT_SCHEMAS, type SendableType } from './model.js';
import { ParleyError } from './errors.js';

const frameChecks = new Map<string, TypeCheck<TSchema>>(
  Object.entries(CLIENT_FRAME_SCHEMAS).map(([op, schema]) => [op, TypeCompiler.Compile(schema)]),
);
const contentChecks = new Map<string, TypeCheck<TSchema>>(
  Object.entries(CONTENT_SCHEMAS).map(([type, schema]) => [type, TypeCompiler.Compile(schema)]),
);

/**
 * Deepest nesting of arrays and objects accepted anywhere in a frame or an
 * HTTP body (the frame or body itself is level 1). Free-form JSON (message
 * content, user meta, notification data) deeper than this would overflow the
 * stack when it is serialized later, so it is refused up front with
 * `invalid_field`; the size limits apply as well.
 */
export const MAX_JSON_DEPTH = 32;

/** True when `value` nests arrays/objects deeper than `max`; iterative, so a hostile value cannot overflow the stack here. */
export function exceedsJsonDepth(value: unknown, max = MAX_JSON_DEPTH): boolean {
  const stack: Array<[object, number]> = [];
  if (value !== null && typeof value === 'object') stack.push([value, 1]);
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (depth > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (child !== null && typeof child === 'object') stack.push([child as object, depth + 1]);
    }
  }
  return false;
}

/** Longest token accepted in `auth` (the frame schema's limit). */
const MAX_TOKEN_CHARS = 4096;

export const DEPTH_MESSAGE = `JSON nests deeper than ${MAX_JSON_DEPTH} levels`;

export type ParseResult =
  | { ok: true; frame: ClientFrame }
  | { ok: false; error: ParleyError; id?: ReqId; op?: string };

function reqIdOf(obj: Record<string, unknown>): ReqId | undefined {
  const id = obj.id;
  return typeof id === 'number' || (typeof id === 'string' && id.length <= 64) ? id : undefined;
}

function firstError(check: TypeCheck<TSchema>, value: unknown): string {
  const e = check.Errors(value).First();
  return e ? `${e.path || '/'}: ${e.message}` : 'invalid';
}

/** Validate an already-parsed value as a client frame. */
export function checkClientFrame(value: unknown): ParseResult {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, error: new ParleyError('bad_frame') };
  }
  const obj = value as Record<string, unknown>;
  const id = reqIdOf(obj);
  if (exceedsJsonDepth(obj)) return { ok: false, id, error: new ParleyError('invalid_field', DEPTH_MESSAGE) };
  const check = typeof obj.op === 'string' ? frameChecks.get(obj.op) : undefined;
  if (!check) {
    return { ok: false, id, error: new ParleyError('unknown_op', `unknown op: ${String(obj.op).slice(0, 32)}`) };
  }
  // A missing, empty, oversize or non-string token is a bad token, not a bad field: the session closes on it (4001).
  if (obj.op === 'auth' && !(typeof obj.token === 'string' && obj.token.length >= 1 && obj.token.length <= MAX_TOKEN_CHARS)) {
    return { ok: false, id, op: 'auth', error: new ParleyError('token_invalid', 'token is missing, empty or too long') };
  }
  if (!check.Check(value)) {
    return { ok: false, id, op: obj.op as string, error: new ParleyError('invalid_field', `${obj.op} ${firstError(check, value)}`) };
  }
  const frame = value as ClientFrame;
  if (frame.op === 'send') {
    const cerr = checkContent(frame.type, frame.content);
    if (cerr) return { ok: false, id, error: cerr };
  }
  return { ok: true, frame };
}

/** Parse and validate one text frame. */
export function parseClientFrame(text: string): ParseResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, error: new ParleyError('bad_frame', 'frame is not valid JSON') };
  }
  return checkClientFrame(value);
}

/** Validate message content for its type; null when valid. */
export function checkContent(type: SendableType, content: unknown): ParleyError | null {
  const check = contentChecks.get(type);
  if (!check) return new ParleyError('invalid_field', `unknown message type: ${type}`);
  if (!check.Check(content)) return new ParleyError('invalid_field', `content ${firstError(check, content)}`);
  return null;
}

export function isClientOp(op: unknown): op is ClientOp {
  return typeof op === 'string' && frameChecks.has(op);
}
