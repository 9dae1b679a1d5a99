import { InvalidParameterValueError } from "./errors.ts";

/** Lambda's own pattern for the FunctionName parameter (name, partial ARN or ARN, optional qualifier). */
const functionNamePattern =
  /^(?:arn:(?:aws[a-zA-Z-]*)?:lambda:)?(?:([a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d):)?(?:(\d{12}):)?(?:function:)?([a-zA-Z0-9_.-]+)(?::(\$LATEST(?:\.PUBLISHED)?|[a-zA-Z0-9_-]+))?$/;

export interface FunctionRef {
  name: string;
  /** The version or alias asked for, if any (from the name or the `Qualifier` query parameter). */
  qualifier: string | undefined;
}

/**
 * Reads the function name the way Lambda does: `my-fn`, `my-fn:$LATEST`, `123456789012:function:my-fn`
 * or a full ARN, with an optional `Qualifier` that must agree with one given in the name.
 */
export function parseFunctionRef(raw: string, queryQualifier: string | null): FunctionRef {
  const match = functionNamePattern.exec(raw);
  const name = match?.[3];
  if (match === null || name === undefined || name.length > 64) {
    throw new InvalidParameterValueError(
      `1 validation error detected: Value '${raw}' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: ${functionNamePattern.source}`,
    );
  }
  const fromName = match[4];
  const fromQuery = queryQualifier === null || queryQualifier === "" ? undefined : queryQualifier;
  if (fromName !== undefined && fromQuery !== undefined && fromName !== fromQuery) {
    throw new InvalidParameterValueError(
      "The derived qualifier from the function name does not match the specified qualifier.",
    );
  }
  return { name, qualifier: fromName ?? fromQuery };
}

export function functionArn(region: string, accountId: string, name: string, qualifier?: string): string {
  const base = `arn:aws:lambda:${region}:${accountId}:function:${name}`;
  return qualifier === undefined ? base : `${base}:${qualifier}`;
}
