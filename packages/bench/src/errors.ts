/** A figure the benchmark cannot measure yet; the table prints "not measured (reason)", never a number. */
export class NotMeasuredError extends Error {
  override readonly name = "NotMeasuredError";
  readonly reason: string;
  constructor(reason: string, options?: ErrorOptions) {
    super(`not measured: ${reason}`, options);
    this.reason = reason;
  }
}
