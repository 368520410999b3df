import { API_PREFIX, ParleyError, isErrorCode } from '@parley/protocol';
import { NetworkError } from './errors.ts';

export { NetworkError };

/** A small fetch wrapper for the REST API: JSON in and out, errors as ParleyError. */
export class RestApi {
  readonly baseUrl: string;
  token: string | undefined;

  constructor(baseUrl: string, token?: string) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.token = token;
  }

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.token) headers['authorization'] = `Bearer ${this.token}`;
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${API_PREFIX}${path}`, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (err) {
      throw new NetworkError(`cannot reach ${this.baseUrl}: ${(err as Error).message}`);
    }
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      throw new ParleyError('internal', `server sent non-JSON (${response.status})`);
    }
    if (!response.ok) {
      const error = (json as { error?: { code?: unknown; message?: unknown; retryAfter?: unknown } } | undefined)?.error;
      const code = isErrorCode(error?.code) ? error.code : 'internal';
      throw new ParleyError(code, typeof error?.message === 'string' ? error.message : `HTTP ${response.status}`,
        typeof error?.retryAfter === 'number' ? error.retryAfter : undefined);
    }
    return json as T;
  }
}
