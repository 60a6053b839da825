import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ParleyError } from '@parley/protocol';
import { errorBody, sendError, toParleyError } from './errors.js';

/**
 * The answers fastify and Node give before a route's error handler exists —
 * a URL that does not decode, a path parameter over `maxParamLength`, and
 * requests Node's HTTP parser refuses (headers too large, a malformed request
 * line or chunked body, a timeout) — in the catalogue's shape, like every
 * other error. Passed to Fastify() as `frameworkErrors` and `clientErrorHandler`.
 */
export function frameworkErrors(err: FastifyError, _req: FastifyRequest, reply: FastifyReply): void {
  void sendError(reply, toParleyError(err) ?? new ParleyError('internal'));
}

/** Node's parser error codes → catalogue code; anything else the parser refuses is a malformed request. */
function parserError(err: NodeJS.ErrnoException): ParleyError {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW': return new ParleyError('headers_too_large');
    case 'ERR_HTTP_REQUEST_TIMEOUT': return new ParleyError('request_timeout');
    case 'HPE_INVALID_CHUNK_SIZE':
    case 'HPE_INVALID_TRANSFER_ENCODING':
      return new ParleyError('bad_frame', 'the chunked request body is malformed');
    default: return new ParleyError('bad_frame', 'the HTTP request is malformed');
  }
}

export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Duplex): void {
  // A reset peer has nothing left to read an answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const perr = parserError(err);
  const body = JSON.stringify(errorBody(perr));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${perr.status} ${STATUS_CODES[perr.status] ?? 'Error'}\r\nConnection: close\r\n` +
      `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}
