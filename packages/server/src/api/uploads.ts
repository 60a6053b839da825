import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import multipart from '@fastify/multipart';
import fastifyStatic from '@fastify/static';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { ParleyError } from '@parley/protocol';
import type { RouteDeps } from './route-deps.js';
import { ErrorRef, clientRoute, responses } from './schemas.js';

export interface UploadOptions {
  uploadDir: string;
  uploadMaxBytes: number;
}

/** Stored names are random, so a URL is unguessable and the only name a GET may ask for; no path can escape the directory. */
const StoredName = Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}(\\.[A-Za-z0-9]{1,16})?$' });
const FileParams = Type.Object({ name: StoredName });
const Uploaded = Type.Object({
  url: Type.String({ description: 'path of the stored file, e.g. /files/3f…a1.png; put it in image/file message content' }),
  size: Type.Integer(), mime: Type.String(), name: Type.String({ description: 'the original file name' }),
});

/** Types a browser may render in place; anything else (HTML, SVG, scripts) is served as a download. */
const INLINE_EXT = new Set(['.png', '.jpg', '.jpeg', '.gif', '.webp', '.avif', '.bmp', '.mp3', '.m4a', '.ogg', '.wav', '.mp4', '.webm', '.mov', '.txt']);

function safeExt(filename: string | undefined): string {
  const ext = extname(filename ?? '').toLowerCase();
  return /^\.[a-z0-9]{1,16}$/.test(ext) ? ext : '';
}

function safeMime(mime: string | undefined): string {
  return mime && /^[\w.+-]{1,100}\/[\w.+-]{1,100}$/.test(mime) ? mime.toLowerCase() : 'application/octet-stream';
}

/**
 * The multipart parser throws plain Errors on a malformed body (the client's
 * fault: bad_frame); file-system errors carry an errno code (a full or broken
 * disk: unavailable, retryable). Plugin errors (FST_*) are mapped in errors.ts.
 */
function uploadError(err: unknown): unknown {
  if (err instanceof ParleyError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code.startsWith('FST_')) return err;
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return new ParleyError('unavailable', 'could not store the file');
  return new ParleyError('bad_frame', `malformed multipart body: ${String((err as Error)?.message ?? err).slice(0, 100)}`);
}

/**
 * POST /v1/uploads (user token, one multipart file ≤ uploadMaxBytes) and
 * GET /files/{name}. A file is written under a temporary dot-name and renamed
 * when complete, so a partial upload is never served. Files are public to
 * whoever holds the URL (image tags cannot send tokens), and are served with
 * a sandboxing CSP and nosniff so an uploaded page cannot run as this origin.
 */
export async function uploadRoutes(app: FastifyInstance, opts: RouteDeps & UploadOptions): Promise<void> {
  const { auth, uploadDir, uploadMaxBytes } = opts;
  await mkdir(uploadDir, { recursive: true });
  // Both plugins are registered inside this (encapsulated) plugin: multipart parsing and reply.sendFile exist only here.
  await app.register(multipart, { limits: { fileSize: uploadMaxBytes, files: 1, fields: 10, parts: 11 } });
  await app.register(fastifyStatic, { root: uploadDir, serve: false, maxAge: '365d', immutable: true });

  app.post('/v1/uploads', {
    onRequest: auth.user,
    schema: clientRoute({
      summary: 'Upload a file',
      description: `multipart/form-data with one file part; larger than the limit → 413 content_too_large.`,
      consumes: ['multipart/form-data'],
      body: { content: { 'multipart/form-data': { schema: Type.Object({ file: Type.String({ format: 'binary' }) }) } } },
      response: responses(201, Uploaded),
    }),
  }, async (req, reply) => {
    const part = await req.file().catch((err: unknown) => {
      throw uploadError(err);
    });
    if (!part) throw new ParleyError('invalid_field', 'body: no file part in the multipart body');
    const name = `${randomBytes(16).toString('hex')}${safeExt(part.filename)}`;
    const tmp = join(uploadDir, `.${name}.part`);
    try {
      await pipeline(part.file, createWriteStream(tmp, { flags: 'wx' }));
      if (part.file.truncated) throw new ParleyError('content_too_large', `the file exceeds ${uploadMaxBytes} bytes`);
      await rename(tmp, join(uploadDir, name));
    } catch (err) {
      await rm(tmp, { force: true });
      throw uploadError(err);
    }
    const { size } = await stat(join(uploadDir, name));
    return reply.code(201).send({ url: `/files/${name}`, size, mime: safeMime(part.mimetype), name: part.filename.slice(0, 255) });
  });

  app.get<{ Params: Static<typeof FileParams> }>('/files/:name', {
    schema: clientRoute({
      summary: 'Download an uploaded file (no token: the random name is the capability)',
      params: FileParams,
      response: { 200: { description: 'the file', content: { 'application/octet-stream': { schema: Type.String({ format: 'binary' }) } } }, '4xx': ErrorRef },
    }, { anonymous: true }),
  }, async (req, reply) => {
    const { name } = req.params;
    const found = await stat(join(uploadDir, name)).then((s) => s.isFile(), () => false);
    if (!found) throw new ParleyError('not_found', 'file not found');
    reply.header('x-content-type-options', 'nosniff');
    reply.header('content-security-policy', "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; sandbox");
    if (!INLINE_EXT.has(extname(name).toLowerCase())) reply.header('content-disposition', 'attachment');
    return reply.sendFile(name);
  });
}
