import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
} from "@aws-sdk/client-dynamodb";
import { tableDefinition } from "@fanout/core";
import { type ChangeSink, localCredentials, startDynamo } from "@fanout/emulators";
import { type DirectAnswer, directHandler } from "./dynalite-direct.ts";
import type { Answer, Request, Service } from "./network.ts";

// Taken before any schedule seeds Math.random (dynalite shuffles BatchGetItem's answer with it).
const realRandom = Math.random;

/**
 * The DynamoDB emulator (dynalite) in this process: the condition expressions are the code under test. The
 * simulation's requests are handed to its handler without a socket ({@link DynamoEmulator.serve}; the HTTP on
 * both sides of a loopback cost more than dynalite itself); the real client of the set-up and the checks goes
 * over HTTP. The schedule's fake timers do not reach it: it waits with setImmediate only (which the world
 * does not fake) while serving, and its setTimeout and Date run at table creation and deletion, between
 * schedules. Nothing else runs while it serves (the network waits for DynamoDB's answer before picking the
 * next call), and Math.random is the real one meanwhile.
 */
export class DynamoEmulator {
  readonly endpoint: string;
  private readonly handle: (headers: Record<string, string>, body: string) => Promise<DirectAnswer>;
  private readonly close: () => Promise<void>;

  constructor(
    endpoint: string,
    handle: (headers: Record<string, string>, body: string) => Promise<DirectAnswer>,
    close: () => Promise<void>,
  ) {
    this.endpoint = endpoint;
    this.handle = handle;
    this.close = close;
  }

  /** Receives the emulator's committed item changes (the schedule's table stream), while set. */
  changes: ChangeSink | undefined;

  static async start(): Promise<DynamoEmulator> {
    let emulator: DynamoEmulator | undefined;
    const dynamo = await startDynamo({ port: 0, onChange: (change) => emulator?.changes?.(change) });
    emulator = new DynamoEmulator(dynamo.endpoint, directHandler(dynamo.server, dynamo.endpoint), () =>
      dynamo.stop(),
    );
    return emulator;
  }

  /** One request of the simulation, answered by dynalite's handler without a socket. */
  async serve(headers: Record<string, string>, body: string): Promise<Answer> {
    const seeded = Math.random;
    Math.random = realRandom;
    try {
      return await this.handle(headers, body);
    } finally {
      Math.random = seeded;
    }
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
    void this.close();
  }
}

/** Forwards the SDK's requests to the emulator (its handler, in this process), reading the whole answer before returning. */
export class DynamoService implements Service {
  readonly name = "dynamodb" as const;
  private readonly emulator: DynamoEmulator;

  constructor(emulator: DynamoEmulator) {
    this.emulator = emulator;
  }

  /** Hands every committed change of `tableName` to `sink` (undefined: to no one). */
  streamTo(tableName: string, sink: ChangeSink | undefined): void {
    this.emulator.changes = sink && ((change) => change.tableName === tableName && sink(change));
  }

  serve(request: Request): Promise<Answer> {
    return this.emulator.serve(
      {
        "content-type": request.headers["content-type"] ?? "application/x-amz-json-1.0",
        "x-amz-target": request.headers["x-amz-target"] ?? "",
        // dynalite checks that a signature is present, not its value.
        authorization:
          request.headers.authorization ??
          "AWS4-HMAC-SHA256 Credential=l/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=x",
        "x-amz-date": request.headers["x-amz-date"] ?? "20260101T000000Z",
      },
      request.body,
    );
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
