import { relative } from "node:path";
import type { Stack } from "./stack.ts";

/** Quotes a value for a POSIX shell `export` line. */
const shellQuote = (value: string) =>
  /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;

/**
 * What `pnpm stack` prints once everything is up: endpoints, resource names, the `export` lines that
 * point the AWS CLI and SDKs at the stack, and commands to try. Plain text, one fact per line.
 */
export function describeStack(
  stack: Stack,
  options: {
    settingsPath: string;
    dataDir?: string | undefined;
    logDir: string;
    schedule: boolean;
    speed: number;
  },
): string {
  const { names, resources, endpoints, settings } = stack;
  const settingsShown = relative(process.cwd(), options.settingsPath) || options.settingsPath;
  const lines = [
    `fanout local stack is up (settings: ${settingsShown})`,
    `  Lambda    ${endpoints.lambda}  functions: ${names.mainFunction}, ${names.consumerFunction}, ${names.workerFunction}`,
    `  SQS       ${endpoints.sqs}  tasks: ${resources.tasksQueueUrl}`,
    `                                    dead letters: ${resources.deadLetterQueueUrl}`,
    `                                    failed tasks: ${resources.failedQueueUrl}`,
    `  SNS       ${endpoints.sns}  job.finished notices: ${resources.jobsTopicArn}`,
    `  S3        ${endpoints.s3}  input bucket (job sources): s3://${resources.inputBucket}`,
    `  DynamoDB  ${endpoints.dynamo}  table: ${resources.tableName}${options.dataDir ? ` (kept in ${options.dataDir})` : " (in memory)"}`,
    `  schedule  ${options.schedule ? `${settings.schedule_expression}${options.speed === 1 ? "" : ` at ${options.speed}x speed`} -> ${names.consumerFunction}` : "off (--no-schedule)"}`,
    `  logs      ${relative(process.cwd(), options.logDir) || "."}/<function>.log`,
    "",
    "Point the AWS CLI and SDKs (and pnpm fanout) at it:",
    ...Object.entries(stack.env).map(([key, value]) => `  export ${key}=${shellQuote(value)}`),
    "",
    "Try (AWS CLI before 2.13 ignores AWS_ENDPOINT_URL_<SERVICE>; --endpoint-url works with any):",
    `  aws lambda invoke --endpoint-url ${endpoints.lambda} --function-name ${names.mainFunction} \\`,
    "    --cli-binary-format raw-in-base64-out \\",
    `    --payload '{"names":[{"name":"Name1"},{"name":"Name2"}]}' /dev/stdout`,
    "  pnpm fanout status <jobId>",
    "  pnpm fanout submit tasks.jsonl       # uploads it to the input bucket, then submits it as a source job",
    "",
    "Ctrl-C stops everything.",
    "",
  ];
  return lines.join("\n");
}
