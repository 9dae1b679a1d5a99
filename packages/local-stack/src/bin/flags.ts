import { InvalidArgumentError } from "commander";

/** A commander argument parser for a number in [min, max] (an integer unless `integer: false`). */
export function numberIn(min: number, max: number, options: { integer?: boolean; what?: string } = {}) {
  const integer = options.integer ?? true;
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === "" || !Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n)))
      throw new InvalidArgumentError(
        `must be ${integer ? "an integer" : "a number"} from ${min} to ${max}${options.what ? ` (${options.what})` : ""}`,
      );
    return n;
  };
}
