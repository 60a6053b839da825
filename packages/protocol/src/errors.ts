/**
 * The one error catalogue, shared by the wire protocol and the HTTP API.
 * Each code is stable (clients switch on it), carries an HTTP status and says
 * whether retrying the same request later can help. docs/protocol.md documents
 * every code; a test keeps the two in step.
 */
export interface ErrorSpec {
  status: number;
  retryable: boolean;
  message: string;
}

export const ERRORS = {
  bad_frame: { status: 400, retryable: false, message: 'frame is not valid JSON or not an object' },
  unknown_op: { status: 400, retryable: false, message: 'unknown op' },
  invalid_field: { status: 400, retryable: false, message: 'a field is missing or has the wrong type' },
  uri_too_long: { status: 414, retryable: false, message: 'the URL or one of its path parameters is too long' },
  headers_too_large: { status: 431, retryable: false, message: 'the request headers are too large' },
  request_timeout: { status: 408, retryable: true, message: 'the request was not received in time' },
  frame_too_large: { status: 413, retryable: false, message: 'frame exceeds the size limit' },
  content_too_large: { status: 413, retryable: false, message: 'message content exceeds the size limit' },
  unauthenticated: { status: 401, retryable: false, message: 'authenticate first' },
  already_authenticated: { status: 409, retryable: false, message: 'connection is already authenticated' },
  token_invalid: { status: 401, retryable: false, message: 'token is invalid' },
  token_expired: { status: 401, retryable: false, message: 'token has expired' },
  token_revoked: { status: 401, retryable: false, message: 'token was revoked' },
  api_key_invalid: { status: 401, retryable: false, message: 'API key is missing or invalid' },
  invalid_credentials: { status: 401, retryable: false, message: 'user id or password is wrong' },
  registration_disabled: { status: 403, retryable: false, message: 'this app does not allow password registration' },
  forbidden: { status: 403, retryable: false, message: 'not allowed' },
  not_member: { status: 403, retryable: false, message: 'you are not a member of this conversation' },
  blocked: { status: 403, retryable: false, message: 'the recipient has blocked you' },
  not_friend: { status: 403, retryable: false, message: 'this app requires friendship for single chat' },
  muted: { status: 403, retryable: false, message: 'you are muted in this group' },
  group_muted: { status: 403, retryable: false, message: 'the whole group is muted' },
  group_dismissed: { status: 410, retryable: false, message: 'the group was dismissed' },
  group_full: { status: 409, retryable: false, message: 'the group has reached its member limit' },
  recall_expired: { status: 403, retryable: false, message: 'the recall window has passed' },
  not_found: { status: 404, retryable: false, message: 'not found' },
  already_exists: { status: 409, retryable: false, message: 'already exists' },
  conflict: { status: 409, retryable: false, message: 'the request conflicts with the current state' },
  rate_limited: { status: 429, retryable: true, message: 'too many requests; slow down' },
  shutting_down: { status: 503, retryable: true, message: 'server is shutting down' },
  unavailable: { status: 503, retryable: true, message: 'storage or upstream is unavailable' },
  internal: { status: 500, retryable: true, message: 'internal error' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

export const ERROR_CODES = Object.keys(ERRORS) as ErrorCode[];

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.prototype.hasOwnProperty.call(ERRORS, code);
}

/** An error that crosses the wire: code, human message, retry hint. */
export class ParleyError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly retryable: boolean;

  constructor(code: ErrorCode, message?: string) {
    const spec: ErrorSpec = ERRORS[code];
    super(message ?? spec.message);
    this.name = 'ParleyError';
    this.code = code;
    this.status = spec.status;
    this.retryable = spec.retryable;
  }

  toJSON(): { code: ErrorCode; message: string; retryable: boolean } {
    return { code: this.code, message: this.message, retryable: this.retryable };
  }
}
