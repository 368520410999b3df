/** An answer of the Max Bot API that is not 200: its status and `{ code, message }` body. */
export class MaxError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}
