export { createSnsClient } from "./client.ts";
export type { NoticeDeps } from "./publish.ts";
export { announce, publishNotice, republishDue } from "./publish.ts";
