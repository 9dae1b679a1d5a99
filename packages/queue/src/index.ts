export type { SQSClient } from "@aws-sdk/client-sqs";
export { packBatches } from "./batches.ts";
export { createSqsClient } from "./client.ts";
export { deleteMessages } from "./delete.ts";
export { queueDepth } from "./depth.ts";
export type { ReceivedMessage } from "./receive.ts";
export { receiveMessages } from "./receive.ts";
export { sendMessages } from "./send.ts";
export { changeVisibility } from "./visibility.ts";
