import { encodeTask, makeTask } from "@fanout/core";
import { createLambdaClient, InvokeError, invokeAsync } from "@fanout/invoker";

const lambda = createLambdaClient(); // once per container
const task = makeTask("job-1", 0, "Name1");

try {
  const { requestId } = await invokeAsync(lambda, "fanout-worker", encodeTask(task));
  console.log(`accepted as event ${requestId}`);
} catch (error) {
  if (error instanceof InvokeError && error.retryable) {
    // throttled or a service fault: leave the message, it comes back later
  } else {
    throw error; // missing function, access denied, payload too large: retrying will not help
  }
}
