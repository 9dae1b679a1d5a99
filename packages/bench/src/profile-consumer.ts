// Child process of profile.ts, run with --cpu-prof: our consumer draining a filled queue, nothing else.
import { type ConsumerTarget, runOurConsumer } from "./ours.ts";

const { target, tasks } = JSON.parse(process.argv[2] ?? "{}") as { target: ConsumerTarget; tasks: number };
const run = await runOurConsumer(target, tasks);
process.stdout.write(JSON.stringify(run));
