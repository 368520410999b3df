import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { ParleyError, type ErrorBody } from '@parley/protocol';
import type { AuthContext } from '../domain/accounts.ts';
import type { Services } from '../services.ts';

/** Parses an untrusted value with a protocol schema or throws `bad_request` naming the field. */
export function parse<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : 'body';
    throw new ParleyError('bad_request', `${where}: ${issue?.message ?? 'invalid'}`);
  }
  return result.data;
}

/** Resolves the bearer token of a request to its caller; rate-limits per device. */
export async function requireAuth(services: Services, request: FastifyRequest, apiPerSec: number): Promise<AuthContext> {
  const header = request.headers.authorization;
  if (!header?.startsWith('Bearer ')) throw new ParleyError('auth_required', 'sign in first');
  const auth = await services.accounts.authenticate(header.slice(7).trim());
  await services.limiter.take(`api:${auth.deviceId}`, apiPerSec, apiPerSec * 5);
  return auth;
}

/** Maps any error to `{ error: { code, message } }` with its HTTP status; logs the unexpected ones. */
export function sendError(err: unknown, request: FastifyRequest, reply: FastifyReply): ErrorBody['code'] {
  let status: number;
  let body: ErrorBody;
  if (err instanceof ParleyError) {
    status = err.status;
    body = err.toBody();
    if (err.retryAfter !== undefined) void reply.header('retry-after', String(err.retryAfter));
  } else {
    const fastifyStatus = (err as { statusCode?: number }).statusCode;
    if (fastifyStatus === 413) {
      status = 413;
      body = { code: 'payload_too_large', message: 'request body too large' };
    } else if (fastifyStatus !== undefined && fastifyStatus >= 400 && fastifyStatus < 500) {
      status = 400;
      body = { code: 'bad_request', message: (err as Error).message };
    } else {
      request.log.error({ err }, 'unhandled error');
      status = 500;
      body = { code: 'internal', message: 'internal error' };
    }
  }
  void reply.status(status).send({ error: body });
  return body.code;
}
