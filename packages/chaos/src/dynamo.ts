import { type ChildProcess, fork } from "node:child_process";
import { request as httpRequest } from "node:http";
import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
} from "@aws-sdk/client-dynamodb";
import { tableDefinition } from "@fanout/core";
import { localCredentials } from "@fanout/emulators";
import type { Answer, Request, Service } from "./network.ts";

const childPath = new URL("./dynamo-child.ts", import.meta.url);

/** The DynamoDB emulator (dynalite) in a child process: the condition expressions are the code under test. */
export class DynamoEmulator {
  private readonly child: ChildProcess;
  readonly endpoint: string;

  constructor(child: ChildProcess, endpoint: string) {
    this.child = child;
    this.endpoint = endpoint;
  }

  static async start(): Promise<DynamoEmulator> {
    const child = fork(childPath, [], { execArgv: [], stdio: ["ignore", "ignore", "inherit", "ipc"] });
    const endpoint = await new Promise<string>((resolve, reject) => {
      child.once("message", (m: { endpoint: string }) => resolve(m.endpoint));
      child.once("exit", (code) => reject(new Error(`DynamoDB emulator exited (${code})`)));
    });
    return new DynamoEmulator(child, endpoint);
  }

  /** A real client on the emulator, for set-up and for the checks (outside the simulation). */
  client(): DynamoDBClient {
    return new DynamoDBClient({
      endpoint: this.endpoint,
      region: "us-east-1",
      credentials: localCredentials,
    });
  }

  async createTable(tableName: string): Promise<void> {
    const client = this.client();
    // The table as the stack has it, global secondary indexes included (core's tableDefinition).
    await client.send(new CreateTableCommand(tableDefinition(tableName)));
    // dynalite turns the table ACTIVE on its next tick; the SDK's waiter would first sleep 20 s.
    for (let i = 0; ; i++) {
      const table = await client.send(new DescribeTableCommand({ TableName: tableName }));
      const gsis = table.Table?.GlobalSecondaryIndexes ?? [];
      if (table.Table?.TableStatus === "ACTIVE" && gsis.every((g) => g.IndexStatus === "ACTIVE")) break;
      if (i > 3000) throw new Error(`table ${tableName} not ACTIVE after 30 s`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    client.destroy();
  }

  async deleteTable(tableName: string): Promise<void> {
    const client = this.client();
    await client.send(new DeleteTableCommand({ TableName: tableName }));
    client.destroy();
  }

  stop(): void {
    this.child.disconnect();
  }
}

/** Forwards the SDK's requests to the emulator over loopback, reading the whole answer before returning. */
export class DynamoService implements Service {
  readonly name = "dynamodb" as const;
  private readonly url: URL;

  constructor(endpoint: string) {
    this.url = new URL(endpoint);
  }

  serve(request: Request): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        {
          host: this.url.hostname,
          port: this.url.port,
          method: "POST",
          path: "/",
          headers: {
            "content-type": request.headers["content-type"] ?? "application/x-amz-json-1.0",
            "x-amz-target": request.headers["x-amz-target"] ?? "",
            // dynalite checks that a signature is present, not its value.
            authorization:
              request.headers.authorization ??
              "AWS4-HMAC-SHA256 Credential=l/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=x",
            "x-amz-date": request.headers["x-amz-date"] ?? "20260101T000000Z",
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            const headers: Record<string, string> = {};
            for (const [k, v] of Object.entries(res.headers)) if (typeof v === "string") headers[k] = v;
            resolve({ status: res.statusCode ?? 500, headers, body: Buffer.concat(chunks).toString("utf8") });
          });
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      req.end(request.body);
    });
  }

  errorAnswer(kind: "throttle" | "server"): Answer {
    return kind === "throttle"
      ? jsonError(
          400,
          "com.amazonaws.dynamodb.v20120810#ThrottlingException",
          "Rate of requests exceeds the allowed throughput.",
        )
      : jsonError(500, "com.amazonaws.dynamodb.v20120810#InternalServerError", "Internal server error");
  }
}

export function jsonError(
  status: number,
  type: string,
  message: string,
  headers: Record<string, string> = {},
): Answer {
  return {
    status,
    headers: { "x-amzn-errortype": type.split("#").pop() ?? type, ...headers },
    body: JSON.stringify({ __type: type, message }),
  };
}
