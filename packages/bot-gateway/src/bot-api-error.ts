/** An answer of the Bot API that is not `ok`: Telegram's `error_code`, `description` and `parameters`. */
export class BotApiError extends Error {
  readonly code: number;
  readonly parameters: Record<string, unknown> | undefined;
  constructor(code: number, description: string, parameters?: Record<string, unknown>) {
    super(description);
    this.code = code;
    this.parameters = parameters;
  }
}

export const badRequest = (what: string) => new BotApiError(400, `Bad Request: ${what}`);
export const NOT_FOUND = () => new BotApiError(404, 'Not Found');
export const UNAUTHORIZED = () => new BotApiError(401, 'Unauthorized');
