import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { startLocalLambda } from "@fanout/local-lambda";

const lambda = await startLocalLambda({
  port: 3001, // 0 = any free port
  speed: 0.001, // async retries after 60 ms / 120 ms instead of 1 / 2 min
  sqsEndpoint: "http://127.0.0.1:9324",
  functions: [
    {
      name: "fanout-worker",
      codeDir: "functions/worker/dist/bundle", // contains index.mjs
      handler: "index.handler",
      memoryMb: 512,
      timeoutSeconds: 60,
      reservedConcurrency: 5,
      environment: { TABLE_NAME: "fanout-dedup", AWS_ENDPOINT_URL_DYNAMODB: "http://127.0.0.1:8000" },
      async: {
        maximumRetryAttempts: 2,
        maximumEventAgeSeconds: 3600,
        onFailureQueueUrl: "http://127.0.0.1:9324/000000000000/fanout-failed-tasks",
      },
    },
  ],
});

const client = new LambdaClient({ endpoint: lambda.url, region: "us-east-1" });
await client.send(
  new InvokeCommand({ FunctionName: "fanout-worker", InvocationType: "Event", Payload: Buffer.from("{}") }),
);
await lambda.idle(); // every async queue drained (retries and destination deliveries included)
console.log(lambda.stats()["fanout-worker"]);
await lambda.stop(); // kills every instance, frees the port
