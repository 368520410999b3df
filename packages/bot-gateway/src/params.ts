import { badRequest } from './bot-api-error.ts';

/**
 * A method's parameters as they came (query string, JSON, form or multipart fields): JSON gives
 * numbers and objects, the others strings that hold numbers or JSON, as Telegram accepts them.
 */
export class Params {
  readonly #p: Record<string, unknown>;
  constructor(p: Record<string, unknown>) {
    this.#p = p;
  }

  has(name: string): boolean { return this.#p[name] !== undefined && this.#p[name] !== null && this.#p[name] !== ''; }

  int(name: string): number {
    const v = this.#p[name];
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : NaN;
    if (!Number.isSafeInteger(n)) throw badRequest(v === undefined ? `${name} is empty` : `${name} is not a number`);
    return n;
  }

  optInt(name: string): number | undefined { return this.has(name) ? this.int(name) : undefined; }

  /**
   * A file field: a part of a multipart body (also named as `attach://<part>`, as some libraries
   * send it), or a string (a file id, or a URL the gateway does not fetch).
   */
  file(name: string): File | string {
    const v = this.#p[name];
    if (v instanceof File) return v;
    const s = this.str(name);
    const attached = /^attach:\/\/(.+)$/.exec(s);
    if (!attached) return s;
    const part = this.#p[attached[1]!];
    if (!(part instanceof File)) throw badRequest(`file ${attached[1]} of ${name} is not in the request`);
    return part;
  }

  /** An InputMedia's `media`: a part of this request (`attach://<part>`), or a file id. */
  attached(ref: string): File | string {
    const part = /^attach:\/\/(.+)$/.exec(ref)?.[1];
    if (part === undefined) return ref;
    const file = this.#p[part];
    if (!(file instanceof File)) throw badRequest(`file ${part} is not in the request`);
    return file;
  }

  str(name: string): string {
    const v = this.#p[name];
    if (typeof v === 'number') return String(v);
    if (typeof v !== 'string' || v === '') throw badRequest(`${name} is empty`);
    return v;
  }

  optStr(name: string): string | undefined { return this.has(name) ? this.str(name) : undefined; }

  bool(name: string): boolean {
    const v = this.#p[name];
    return v === true || v === 'true' || v === '1' || v === 1;
  }

  /** An object or array field; a string is parsed as JSON (form and multipart callers send it so). */
  json(name: string): unknown {
    const v = this.#p[name];
    if (typeof v !== 'string') return v;
    try {
      return JSON.parse(v) as unknown;
    } catch {
      throw badRequest(`can't parse ${name} JSON object`);
    }
  }
}
