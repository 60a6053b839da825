import { Kind, type TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Value } from '@sinclair/typebox/value';
import type { FastifySchemaCompiler } from 'fastify';
import { ParleyError } from '@parley/protocol';

/**
 * Route validation with TypeBox's compiler instead of fastify's default Ajv.
 *
 * Why: Ajv as fastify configures it coerces types (`{"user_id": 5}` would pass
 * as "5") and silently strips unknown properties. A JSON body must be exactly
 * as strict as a WebSocket frame — the same TypeBox checks, wrong types and
 * extra fields rejected with `invalid_field`. Querystring and path params are
 * text by nature, so only they are converted to the schema's types first.
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

  return (data: unknown) => {
    let value = data;
    if (part === 'body') {
      if ((value === null || value === undefined) && emptyOk) value = {};
    } else {
      value = Value.Convert(schema, Value.Default(schema, Value.Clone(value ?? {})));
    }
    if (check.Check(value)) return { value };
    const e = check.Errors(value).First();
    const where = `${part === 'querystring' ? 'query' : part}${e?.path ?? ''}`;
    return { error: new ParleyError('invalid_field', `${where}: ${e?.message ?? 'invalid'}`) };
  };
};
