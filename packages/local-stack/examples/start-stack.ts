import { startStack } from "@fanout/local-stack";

const stack = await startStack({ sqsPort: 0, dynamoPort: 0, lambdaPort: 0, schedule: false });
// aws lambda invoke --endpoint-url <stack.endpoints.lambda> --function-name fanout-main ...
await stack.stop();
