import { Kind, type TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Value } from '@sinclair/typebox/value';
import type { FastifyRequest, FastifySchemaCompiler } from 'fastify';
import { ParleyError } from '@parley/protocol';
import { DEPTH_MESSAGE, exceedsJsonDepth } from '@parley/protocol/validate';

/**
 * Route validation with TypeBox's compiler instead of fastify's default Ajv.
 *
 * Why: Ajv as fastify configures it coerces types (`{"user_id": 5}` would pass
 * as "5") and silently strips unknown properties. A JSON body must be exactly
 * as strict as a WebSocket frame — the same TypeBox checks, wrong types and
 * extra fields rejected with `invalid_field`. Querystring and path params are
 * text by nature, so only they are converted to the schema's types first —
 * and an integer there must be written as a plain decimal integer: TypeBox's
 * conversion alone would read `3e999` as 3 and `2.9` as 2, `0x10` as 16.
 *
 * A body that is the literal `null` is refused (an absent body counts as {}),
 * and so is a body nested deeper than the protocol's JSON depth limit.
 *
 * The route schemas stay plain TypeBox (JSON Schema) and still feed the
 * OpenAPI document unchanged.
 */
type Part = 'body' | 'querystring' | 'params' | 'headers';

export const typeboxValidatorCompiler: FastifySchemaCompiler<TSchema> = ({ schema, httpPart, contentType }) => {
  // Multipart bodies are streamed and checked by their handler (uploads.ts); the schema only documents them.
  if (httpPart === 'body' && contentType === 'multipart/form-data') return () => true;
  if (!(Kind in schema)) throw new Error(`route schema for ${httpPart} is not a TypeBox schema`);
  const check = TypeCompiler.Compile(schema);
  const part = (httpPart ?? 'body') as Part;
  // An empty request body is fine when the schema has no required field: treat it as {}.
  const emptyOk = part === 'body' && check.Check({});

  const integers = integerFields(schema);

  return (data: unknown) => {
    let value = data;
    if (part === 'body') {
      // fastify gives null for an absent body too; a literal `null` was refused by refuseNullBody already.
      if ((value === null || value === undefined) && emptyOk) value = {};
      if (exceedsJsonDepth(value)) return { error: new ParleyError('invalid_field', `body: ${DEPTH_MESSAGE}`) };
    } else {
      const bad = notDecimal(integers, value);
      if (bad) return { error: new ParleyError('invalid_field', `${part === 'querystring' ? 'query' : part}/${bad}: expected a decimal integer`) };
      value = Value.Convert(schema, Value.Default(schema, Value.Clone(value ?? {})));
    }
    if (check.Check(value)) return { value };
    const e = check.Errors(value).First();
    const where = `${part === 'querystring' ? 'query' : part}${e?.path ?? ''}`;
    return { error: new ParleyError('invalid_field', `${where}: ${e?.message ?? 'invalid'}`) };
  };
};

/** Plain decimal integers only, no sign but '-', at most 15 digits (always a safe integer). */
const DECIMAL_INTEGER = /^-?[0-9]{1,15}$/;

/** Names of the top-level properties typed integer (params and querystrings are flat objects). */
function integerFields(schema: TSchema): string[] {
  const props = (schema as { properties?: Record<string, { type?: unknown }> }).properties ?? {};
  return Object.entries(props).filter(([, s]) => s.type === 'integer').map(([k]) => k);
}

/** The first integer field whose raw text is not a plain decimal integer. */
function notDecimal(fields: string[], raw: unknown): string | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const obj = raw as Record<string, unknown>;
  return fields.find((k) => obj[k] !== undefined && !(typeof obj[k] === 'string' && DECIMAL_INTEGER.test(obj[k] as string)));
}

/**
 * preValidation hook: a request that sent a body which parsed to `null` (the
 * literal JSON null) is refused. fastify reports an absent body as null as
 * well, so the two are told apart by whether the request carried a body.
 */
export async function refuseNullBody(req: FastifyRequest): Promise<void> {
  if (req.body !== null) return;
  const length = req.headers['content-length'];
  const sent = (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
  if (sent) throw new ParleyError('invalid_field', 'body: expected a JSON object, got null');
}
