// The DynamoDB emulator in its own process, so that the explorer's fake timers cannot touch its clock.
import { startDynamo } from "@fanout/emulators";

const dynamo = await startDynamo({ port: 0 });
process.send?.({ endpoint: dynamo.endpoint });
process.on("disconnect", () => {
  void dynamo.stop().then(() => process.exit(0));
});
