import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ScanCommand } from "@aws-sdk/client-dynamodb";
import { requestCounts } from "@fanout/core";
import { awsEnv, type LocalStack, startLocalResources } from "@fanout/emulators";
import { createDynamoClient } from "@fanout/job-state";
import { type LocalLambda, startLocalLambda } from "@fanout/local-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { baselineInvocation } from "./baseline.ts";
import { delta } from "./ours.ts";
import { fillQueue, queuedMessages, taskBodies, writeSeedWorker } from "./workload.ts";

let local: LocalStack;
let lambda: LocalLambda;
const worker = "seed-worker";

beforeAll(async () => {
  local = await startLocalResources();
  lambda = await startLocalLambda({
    port: 0,
    functions: [
      {
        name: worker,
        codeDir: writeSeedWorker(mkdtempSync(join(tmpdir(), "seed-worker-"))),
        handler: "index.handler",
        memoryMb: 128,
        timeoutSeconds: 10,
      },
    ],
    logDir: null,
    output: null,
  });
  Object.assign(
    process.env,
    awsEnv({
      sqsEndpoint: local.sqsEndpoint,
      dynamoEndpoint: local.dynamoEndpoint,
      lambdaEndpoint: lambda.url,
    }),
  );
}, 30_000);
afterAll(async () => {
  await lambda?.stop();
  await local?.stop();
});

describe("the seed's consumer (baseline)", () => {
  it("takes one batch of up to 10 per invocation, deletes at once, and records each MessageId after invoking", async () => {
    const target = {
      queueName: local.resources.names.tasksQueue,
      tableName: local.resources.tableName,
      workerFunctionName: worker,
    };
    await fillQueue(local.resources.tasksQueueUrl, taskBodies("seed-test", 13));
    const before = requestCounts();
    const first = await baselineInvocation(target);
    expect(first).toMatchObject({ received: 10, invoked: 10, skipped: 0 });
    // Deleted right after receiving, before any was handed on: only the 3 not received are left.
    expect(await queuedMessages(local.resources.tasksQueueUrl)).toBe(3);
    expect(delta(before, requestCounts())).toEqual({
      "SQS.GetQueueUrl": 11,
      "SQS.ReceiveMessage": 1,
      "SQS.DeleteMessage": 10,
      "DynamoDB.GetItem": 10,
      "Lambda.Invoke": 10,
      "DynamoDB.UpdateItem": 10,
    });
    const second = await baselineInvocation(target);
    expect(second).toMatchObject({ received: 3, invoked: 3 });
    expect(await baselineInvocation(target)).toMatchObject({ received: 0, invoked: 0 });
    await lambda.idle();
    expect(lambda.stats()[worker]?.async).toMatchObject({ enqueued: 13, succeeded: 13 });
    // The seed's dedup record: one item per SQS MessageId, holding nothing but the key.
    const db = createDynamoClient();
    const { Items = [] } = await db.send(new ScanCommand({ TableName: target.tableName }));
    db.destroy();
    const records = Items.filter((i) => !/^(TASK|JOB)#/.test(i.pk?.S ?? ""));
    expect(records).toHaveLength(13);
    for (const r of records) expect(Object.keys(r)).toEqual(["pk"]);
  });
});
