import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ParleyError, type ErrorCode } from '@parley/protocol';
import { toProtocolError } from '../protocol-errors.js';

/**
 * HTTP errors speak the one catalogue (protocol/errors.ts, STYLE habit 5):
 * every error response is `{ error: { code, message, retryable } }` with the
 * catalogue's status, whatever raised it — a domain ParleyError, a schema
 * violation, fastify's body parser, a multipart limit, a missing route.
 * Unexpected errors become `internal` without their message or stack, which
 * go to the log only.
 */
export interface ErrorBodyJson {
  error: { code: ErrorCode; message: string; retryable: boolean };
}

export function errorBody(err: ParleyError): ErrorBodyJson {
  return { error: err.toJSON() };
}

/** A ParleyError that says when to come back: every 429 answer carries `Retry-After` (seconds). */
export class RetryLaterError extends ParleyError {
  constructor(code: ErrorCode, readonly retryAfterSec: number, message?: string) {
    super(code, message);
  }
}

/** Seconds for `Retry-After`: the error's own hint, else 1. */
export function retryAfterOf(err: ParleyError): number {
  return err instanceof RetryLaterError ? Math.max(1, Math.ceil(err.retryAfterSec)) : 1;
}

export function sendError(reply: FastifyReply, err: ParleyError): FastifyReply {
  if (err.status === 429) reply.header('retry-after', String(retryAfterOf(err)));
  return reply.code(err.status).type('application/json; charset=utf-8').send(errorBody(err));
}

/** Framework and plugin errors, by their code, mapped to the catalogue. */
const FRAMEWORK_CODES: Record<string, (e: FastifyError) => ParleyError> = {
  FST_ERR_BAD_URL: () => new ParleyError('bad_frame', 'the request URL is not valid (bad percent-encoding)'),
  FST_ERR_MAX_PARAM_LENGTH: () => new ParleyError('uri_too_long', 'a path parameter is too long'),
  FST_ERR_CTP_INVALID_JSON_BODY: () => new ParleyError('bad_frame', 'request body is not valid JSON'),
  FST_ERR_CTP_EMPTY_JSON_BODY: () => new ParleyError('bad_frame', 'request body is empty but declared as JSON'),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: (e) => new ParleyError('bad_frame', e.message),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () => new ParleyError('bad_frame', 'Content-Length does not match the body'),
  FST_ERR_CTP_BODY_TOO_LARGE: () => new ParleyError('frame_too_large', 'request body exceeds the size limit'),
  FST_REQ_FILE_TOO_LARGE: () => new ParleyError('content_too_large', 'the uploaded file exceeds the size limit'),
  FST_FILES_LIMIT: () => new ParleyError('invalid_field', 'send exactly one file per upload'),
  FST_PARTS_LIMIT: () => new ParleyError('invalid_field', 'too many multipart parts'),
  FST_FIELDS_LIMIT: () => new ParleyError('invalid_field', 'too many multipart fields'),
  FST_INVALID_MULTIPART_CONTENT_TYPE: () => new ParleyError('bad_frame', 'the request is not multipart/form-data'),
  FST_PROTO_VIOLATION: () => new ParleyError('invalid_field', 'prototype property is not allowed as field name'),
  FST_MP_PREMATURE_CLOSE: () => new ParleyError('bad_frame', 'the request closed before the multipart body was complete'),
};

/** Fallback for errors that carry only an HTTP status (other 4xx from fastify or a plugin). */
function byStatus(status: number, message: string): ParleyError {
  switch (status) {
    case 401: return new ParleyError('unauthenticated');
    case 403: return new ParleyError('forbidden');
    case 404: return new ParleyError('not_found');
    case 409: return new ParleyError('conflict');
    case 408: return new ParleyError('request_timeout');
    case 413: return new ParleyError('frame_too_large');
    case 414: return new ParleyError('uri_too_long');
    case 431: return new ParleyError('headers_too_large');
    case 429: return new ParleyError('rate_limited');
    case 503: return new ParleyError('unavailable');
    default: return new ParleyError('bad_frame', message);
  }
}

export function toParleyError(err: unknown): ParleyError | null {
  const domain = toProtocolError(err); // ParleyError as is, StoreError by the one mapping (protocol-errors.ts)
  if (domain) return domain;
  const fe = err as Partial<FastifyError> | null;
  if (!fe || typeof fe !== 'object') return null;
  if (fe.code && FRAMEWORK_CODES[fe.code]) return FRAMEWORK_CODES[fe.code]!(fe as FastifyError);
  if (fe.validation) return new ParleyError('invalid_field', `${fe.validationContext ?? 'request'}: ${fe.message}`);
  const status = fe.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) return byStatus(status, String(fe.message ?? 'bad request'));
  return null;
}

/** The router's longest path parameter (room for the longest valid conv_id, 131 characters); longer answers uri_too_long. */
export const MAX_PARAM_LENGTH = 256;

/**
 * A path segment over MAX_PARAM_LENGTH. The router answers FST_ERR_MAX_PARAM_LENGTH
 * for one only when no other route takes the path; with the web client served
 * (a wildcard route) it falls through to not-found instead, so that handler asks here.
 */
function tooLongSegment(path: string): boolean {
  return path.split('/').some((s) => s.length > MAX_PARAM_LENGTH);
}

/** Install the error and not-found handlers on the root instance (before any route plugin). */
export function installErrorHandling(app: FastifyInstance, opts: { notFoundFallback?: (req: FastifyRequest, reply: FastifyReply) => Promise<boolean> }): void {
  app.setErrorHandler((err, req, reply) => {
    const known = toParleyError(err);
    if (known) {
      if (known.status >= 500) req.log.warn({ err }, 'request failed: %s', known.code);
      return sendError(reply, known);
    }
    req.log.error({ err }, 'unexpected error');
    return sendError(reply, new ParleyError('internal'));
  });

  app.setNotFoundHandler(async (req, reply) => {
    if (opts.notFoundFallback && (await opts.notFoundFallback(req, reply))) return reply;
    const full = req.url.split('?')[0]!;
    if (tooLongSegment(full)) return sendError(reply, new ParleyError('uri_too_long', 'a path parameter is too long'));
    const path = full.slice(0, 200);
    return sendError(reply, new ParleyError('not_found', `no route ${req.method} ${path}`));
  });
}
