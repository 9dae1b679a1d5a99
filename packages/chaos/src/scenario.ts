import { GetItemCommand } from "@aws-sdk/client-dynamodb";
import { type CliContext, failedRedrive, memoryOutput, redriveVisibilitySeconds } from "@fanout/cli";
import { consumerDeps, consumerHandler } from "@fanout/consumer";
import {
  consumerConfigSchema,
  createLogger,
  mainConfigSchema,
  parseTask,
  parseWorkerEvent,
  readConfig,
  taskIdOf,
  workerConfigSchema,
} from "@fanout/core";
import { taskStreamMapping } from "@fanout/dedup";
import { createLambdaClient } from "@fanout/invoker";
import {
  cancelJob,
  createDynamoClient,
  createStore,
  type DedupStore,
  type JobNotice,
  readJob,
  readJobStatus,
} from "@fanout/job-state";
import { readShardCounts } from "@fanout/job-state/testing";
import { functionEnvironment, functionSpecs } from "@fanout/local-stack";
import { mainDeps, mainHandler } from "@fanout/main";
import { createSnsClient } from "@fanout/notices";
import { createSqsClient } from "@fanout/queue";
import { createS3Client } from "@fanout/source";
import { parseSettings, resourceNames, type Settings } from "@fanout/tooling";
import { makeWorker, type TaskHandler, workerDeps } from "@fanout/worker";
import { type CoverageReport, countCall, countClause, emptyCoverage } from "./coverage.ts";
import { type DynamoService, jsonError } from "./dynamo.ts";
import { FaultPlan, type FaultPlanOptions, type FaultRecord } from "./faults.ts";
import { LambdaModel, type SimFunction } from "./lambda.ts";
import { type Answer, type CallFault, type CallInfo, SimNetwork } from "./network.ts";
import { Prng } from "./prng.ts";
import { S3Model } from "./s3.ts";
import { SnsModel, snsDedupWindowMs } from "./sns.ts";
import { SqsModel } from "./sqs.ts";
import { StreamModel } from "./stream.ts";
import { behaviourOf, jobPayload, planWorkload, sourceLines, type Workload } from "./workload.ts";
import { type Actor, World } from "./world.ts";

export interface ScheduleOptions extends FaultPlanOptions {
  seed: number;
  dynamo: DynamoService;
  /** The DynamoDB client on the emulator, outside the simulation, for the checks. */
  checkClient: import("@aws-sdk/client-dynamodb").DynamoDBClient;
  tableName: string;
  /** Prefix of the schedule's job ids, so that runs of one seed do not meet each other's records. */
  jobPrefix?: string;
  /** Most tasks per job. @default 6 */
  maxTasks?: number;
  /** Virtual time during which faults are injected. @default 10 min */
  faultWindowMs?: number;
}

export interface Violation {
  /**
   * `invalid`: DynamoDB refused a request as malformed (ValidationException). The shipped code never sends
   * one, so it is a defect of its own, and a mutant caught only by it did not show what it claims to break
   * (its patch left an expression invalid).
   */
  guarantee: "G1" | "G2" | "G3" | "G5" | "G6" | "G7" | "G8" | "counters" | "stuck" | "invalid";
  message: string;
}

export interface ScheduleResult {
  seed: number;
  faults: FaultRecord[];
  faultsByKind: Record<string, number>;
  violations: Violation[];
  /** Extra dispatches or runs inside a named window (allowed, counted). */
  windows: Record<string, number>;
  tasks: number;
  virtualMs: number;
  calls: number;
  coverage: CoverageReport;
}

const START = Date.UTC(2026, 0, 1);

/**
 * The settings the simulation runs with: the shipped defaults, but a 10-minute maximum event age for the
 * worker (in range), so that events aging out happen within a short stretch of virtual time.
 */
const defaultFaultWindowMs = 10 * 60_000;
/** How long call faults go on after the fault window, into the settle phase. */
const settleFaultsMs = 15 * 60_000;

export const simSettings: Settings = parseSettings({ worker_async: { maximum_event_age_seconds: 600 } });

/**
 * A schedule's settings: the simulation's, with `consumer.max_parallel` 1, 2 or 4 and the smallest
 * backlog per run (10), so that runs meet the cap of their run slots under the deep jobs of the workload.
 */
export function settingsFor(prng: Prng): Settings {
  const maxParallel = prng.pick([1, 2, 4]);
  // A quarter of the schedules keep records for 15 minutes only (messages 2), so that jobs outlive their
  // TTL and jobIds are reused past it: the incarnation (epoch) paths run.
  const shortTtl = prng.chance(0.25);
  // A quarter send a message to the dead-letter queue at its second receive, so that the dead-letter half of
  // the redrive (and its sends failing in the final one) meets valid tasks, not only after five receives.
  const fewReceives = prng.chance(0.25);
  return parseSettings({
    worker_async: { maximum_event_age_seconds: 600 },
    consumer: { max_parallel: maxParallel, scale_out_backlog: 10 },
    ...(shortTtl ? { dedup: { ttl_seconds: 900 } } : {}),
    queue: {
      ...(shortTtl ? { message_retention_seconds: 120 } : {}),
      ...(fewReceives ? { max_receive_count: 2 } : {}),
    },
  });
}

/**
 * With a short TTL, half the jobs that are not cancelled are submitted again an hour in: most finished within
 * the first half hour, so their records have expired and this is a new incarnation (or, for one still running,
 * a resubmission of the same).
 */
function planReuse(workload: Workload, settings: Settings, prng: Prng): Workload {
  if (settings.dedup.ttl_seconds > 3_600) return workload;
  for (const job of workload.jobs)
    if (job.cancelAtMs === undefined && prng.chance(0.5)) job.reuseAtMs = 3_600_000;
  return workload;
}

/**
 * A failure-swarm schedule's settings: the worker's events age out after 180 s, so its workers judge a
 * failure final while Lambda may still retry it (the next retry's estimate, a minute or two plus the
 * function's timeout, passes the age the event will not reach by then): the retried final failures whose
 * counting mutant 30 breaks. (Until ADR 0015, the workers were unsure for want of a DISPATCHED mark, which
 * these schedules lost; the claim now records the dispatch time, so they are unsure no more.)
 */
function swarmSettings(settings: Settings): Settings {
  return { ...settings, worker_async: { ...settings.worker_async, maximum_event_age_seconds: 240 } };
}

/** Runs one schedule: a seeded workload through the real functions over the simulated cloud, then checks. */
export async function runSchedule(options: ScheduleOptions): Promise<ScheduleResult> {
  const root = new Prng(options.seed);
  const workloadPrng = root.fork("workload");
  const plan = new FaultPlan(root.fork("faults"), options, {
    startMs: START,
    endMs: START + (options.faultWindowMs ?? defaultFaultWindowMs),
  });
  const world = new World(START, root.fork("order"), root.fork("random"));
  const settings = settingsFor(root.fork("settings"));
  // A quarter of the schedules give source jobs' enqueue steps a 50 ms lease (60 s ships) and one task a
  // chunk: a step's lease is then due for renewal every few chunks and lapses under a delay, so renewals,
  // refused renewals and takeovers of a live step happen in the budget, not only after a fault of minutes.
  const enqueueLeaseMs = root.fork("enqueue-lease").chance(1 / 4) ? 50 : undefined;
  try {
    const workload = planReuse(
      planWorkload(workloadPrng, `${options.jobPrefix ?? ""}s${options.seed}`, {
        maxTasks: options.maxTasks ?? 6,
      }),
      settings,
      root.fork("reuse"),
    );
    const scheduleSettings = workload.failureSwarm ? swarmSettings(settings) : settings;
    return await simulate(options, world, plan, workload, root.fork("misc"), {
      settings: scheduleSettings,
      ...(enqueueLeaseMs === undefined ? {} : { enqueueLeaseMs }),
    });
  } finally {
    world.dispose();
  }
}

interface Ledger {
  /** Worker invocations Lambda accepted, per taskId, in order, with the consumer that made them. */
  dispatches: Map<string, { requestId: string; caller: Actor | undefined; seq: number; token?: string }[]>;
  /** Successful handler completions per taskId, with the invocation that completed. */
  completions: Map<string, Actor[]>;
  /** Handler attempts per taskId (any outcome). */
  attempts: Map<string, number>;
  /** When Lambda accepted each worker event (its request id), in the ledger's order. */
  acceptedSeq: Map<string, number>;
  /** When Lambda accepted each worker event, in true (virtual) time. */
  acceptedAtMs: Map<string, number>;
  /** Every start of a task handler: the task, the event it ran for, and when. */
  handlerStarts: { jobId: string; epoch: number; taskId: string; requestId: string; seq: number }[];
  /** Task handlers of each job running at once: now, and the most ever. */
  running: Map<string, { now: number; most: number }>;
  /** Consumer runs that received from the tasks queue and have not ended (or died): the most at once. */
  receivers: Set<Actor>;
  mostReceivers: number;
  /** DynamoDB requests refused as malformed (ValidationException): the call site and DynamoDB's message. */
  invalid: string[];
  /** The runs receiving at the moment the most did, with their run-slot writes (a G7 message). */
  atMost: string[];
  /** Successful writes seen by the checks: `${kind}|${pk}|${actor id}` and the order they came in. */
  writes: Write[];
  /** Calls that got a fault, by the actor that made them (evidence for the windows). */
  faulted: { actor: Actor; site: string; kind: string; atMs: number }[];
  /** Each job's first job.finished delivery, with the task records read at that moment. */
  atPublish: {
    jobId: string;
    notice: JobNotice;
    counts: { succeeded: number; failed: number; cancelled: number };
    notFinal: string[];
    jobFinished: boolean;
    seq: number;
  }[];
  /** The highest version written so far to each counter summary (`<pk> <v0|gv0|...>`). */
  versions: Map<string, number>;
  /** Versioned writes that took effect over an equal or newer version (a "counters" violation each). */
  versionRegressions: string[];
  seq: number;
}

interface Write {
  kind: string;
  pk: string;
  actor: Actor | undefined;
  seq: number;
  /** True (virtual) time of the write. */
  atMs: number;
  /** The incarnation a job write is about (its `:ep`), where the write names one. */
  epoch?: number;
  /** A claim's or a run's lease end as written (the writer's clock), for CLAIMED and RUNNING. */
  leaseMs?: number;
  /** A redrive's requeue (REQUEUED): the request id of the failed event it redrove. */
  rid?: string;
  /** A concurrency slot given back (SLOT-FREED): the task id that held it. */
  holder?: string;
  /** The dispatch token a claim wrote, a run started under, or a redrive's failed event held. */
  token?: string;
}

/**
 * How far apart two processes' clocks may be (ADR 0008): the explorer skews each Lambda process by up to
 * ±1 s, so a lease looks ended up to this much early to another process.
 */
export const clockSkewToleranceMs = 2_000;

/** How long the worker reuses a job record it read (`WorkerDeps.jobCacheMs`'s default, as shipped). */
const workerJobCacheMs = 5_000;

async function simulate(
  options: ScheduleOptions,
  world: World,
  plan: FaultPlan,
  workload: Workload,
  misc: Prng,
  drawn: { settings: Settings; enqueueLeaseMs?: number },
): Promise<ScheduleResult> {
  const settings = drawn.settings;
  const names = resourceNames(settings);
  // A failure-swarm schedule's workers also fail to take the RUNNING lease now and then (the write fails
  // through the SDK's retries): Lambda counts the attempt, the task's per-event counter does not, so a worker
  // may count a retry pending that Lambda will not make, and the redrive of its on-failure record must
  // requeue the FAILED task by its token.
  if (workload.failureSwarm) plan.focusSite(":startRun ", 1 / 5);
  // A source job's enqueue commit lands and its answer is lost, a quarter of the time: the SDK's retry is
  // refused, and main must read that refusal as its own commit (`committedBy`), not as a takeover, or the
  // rest of the job is never handed over (mutant 29). Only source-job schedules reach this site, and the
  // draws come from the focus stream: every other schedule stays as it was.
  plan.focusSite(":commitEnqueueStep ", 1 / 4, "lost");
  // The same for a redriven source job's restart: a lost answer makes its retry refused, and only then does
  // it read the record back (its GetItem), a path the even spread of faults reaches too rarely to fault.
  plan.focusSite(":restartEnqueue dynamodb.UpdateItem", 1 / 3, "lost");
  const ledger: Ledger = {
    dispatches: new Map(),
    completions: new Map(),
    attempts: new Map(),
    acceptedSeq: new Map(),
    acceptedAtMs: new Map(),
    handlerStarts: [],
    running: new Map(),
    receivers: new Set(),
    mostReceivers: 0,
    invalid: [],
    atMost: [],
    writes: [],
    faulted: [],
    atPublish: [],
    versions: new Map(),
    versionRegressions: [],
    seq: 0,
  };
  const coverage = emptyCoverage();
  const sqs = new SqsModel(world, misc.fork("sqs"), () => plan.chance("sqs.receive", "sqs-duplicate", 0.03));
  const dlq = sqs.createQueue(names.deadLetterQueue, { visibilityTimeoutSeconds: 30 });
  const tasksQueue = sqs.createQueue(names.tasksQueue, {
    visibilityTimeoutSeconds: settings.queue.visibility_timeout_seconds,
    redrive: { deadLetterUrl: dlq.url, maxReceiveCount: settings.queue.max_receive_count },
  });
  const failedQueue = sqs.createQueue(names.failedQueue, { visibilityTimeoutSeconds: 30 });
  const lambda = new LambdaModel(
    world,
    sqs,
    misc.fork("lambda"),
    { event: (fn, unrecorded) => plan.event(fn, unrecorded), invocation: (fn) => plan.invocation(fn) },
    {
      accepted(fn, requestId, payload, caller) {
        if (fn !== names.workerFunction) return;
        ledger.acceptedSeq.set(requestId, ledger.seq++);
        ledger.acceptedAtMs.set(requestId, world.now());
        try {
          const { task, token } = parseWorkerEvent(JSON.parse(payload));
          const key = incarnationKey(taskIdOf(task), task.epoch ?? 0);
          const list = ledger.dispatches.get(key) ?? [];
          list.push({ requestId, caller, seq: ledger.seq++, ...(token === undefined ? {} : { token }) });
          ledger.dispatches.set(key, list);
        } catch {
          ledger.dispatches.set(`invalid:${payload.slice(0, 40)}`, [
            { requestId, caller, seq: ledger.seq++ },
          ]);
        }
      },
      started() {},
      ended(_fn, _requestId, actor) {
        ledger.receivers.delete(actor);
      },
      discarded() {},
    },
  );
  // A job's first notice is checked when it is delivered: every task final, the counts those of its records.
  // The input bucket, holding the workload's source jobs (JSON Lines).
  const s3 = new S3Model(world);
  for (const job of workload.jobs)
    if (job.sourceKey !== undefined) s3.put(names.inputBucket, job.sourceKey, sourceLines(job));
  const sns = new SnsModel(world, async (delivery) => {
    const notice = JSON.parse(delivery.message) as JobNotice;
    const job = workload.jobs.find((j) => j.jobId === notice.jobId);
    if (!job || ledger.atPublish.some((p) => p.jobId === job.jobId && p.notice.epoch === notice.epoch))
      return;
    const read = async (pk: string) =>
      (
        await options.checkClient.send(
          new GetItemCommand({ TableName: options.tableName, Key: { pk: { S: pk } }, ConsistentRead: true }),
        )
      ).Item;
    const counts = { succeeded: 0, failed: 0, cancelled: 0 };
    const notFinal: string[] = [];
    for (let i = 0; i < job.names.length; i++) {
      const item = await read(`TASK#${job.jobId}#${i}`);
      const status = item?.status?.S;
      if (status === "SUCCEEDED") counts.succeeded++;
      else if (status === "FAILED" && item?.finalFailure?.BOOL === true) counts.failed++;
      else if (status === "CANCELLED") counts.cancelled++;
      else notFinal.push(`${i} ${status ?? "no record"}`);
    }
    const jobItem = await read(`JOB#${job.jobId}`);
    // The records read are those of the job's current incarnation: a notice of an older one has no records left.
    if (Number(jobItem?.epoch?.N ?? -1) !== notice.epoch) return;
    ledger.atPublish.push({
      jobId: job.jobId,
      notice,
      counts,
      notFinal,
      jobFinished: jobItem?.finishedAt?.N !== undefined,
      seq: ledger.seq++,
    });
  });
  const jobsTopicArn = `arn:aws:sns:us-east-1:000000000000:${names.jobsTopic}`;
  // The operator who cancels a job as it finishes (`cancelAtFinish`): sent beside the job's finishing write,
  // which is held back so that the cancel lands between the finish's read and its write. Once per job.
  const cancelledAtFinish = new Set<string>();
  const cancelAtFinish = (info: CallInfo): CallFault | undefined => {
    if (info.service !== "dynamodb" || info.operation !== "UpdateItem") return undefined;
    if (!info.request.body.includes("SET finishedAt = :now")) return undefined;
    const pk = (JSON.parse(info.request.body) as UpdateInput).Key?.pk?.S ?? "";
    const job = workload.jobs.find((j) => `JOB#${j.jobId}` === pk);
    if (!job?.cancelAtFinish || cancelledAtFinish.has(job.jobId)) return undefined;
    cancelledAtFinish.add(job.jobId);
    void world.spawn("operator", "cancel", () => cancelJob(store, job.jobId)).result.catch(() => undefined);
    return { kind: "delay", ms: 2_000 };
  };
  // The operator who cancels a job while its first task is being handed to the worker (`cancelAtDispatch`):
  // the invoke is held back 8 s, so its event reaches a worker past the job cache's 5 s and the 2 s clock
  // tolerance after the cancel. Once per job.
  const cancelledAtDispatch = new Set<string>();
  const cancelAtDispatch = (info: CallInfo): CallFault | undefined => {
    if (info.service !== "lambda" || info.operation !== "Invoke" || info.call.actor?.kind !== "consumer")
      return undefined;
    let jobId: unknown;
    try {
      jobId = (JSON.parse(info.request.body) as { jobId?: unknown }).jobId;
    } catch {
      return undefined;
    }
    const job = workload.jobs.find((j) => j.jobId === jobId);
    if (!job?.cancelAtDispatch || cancelledAtDispatch.has(job.jobId)) return undefined;
    cancelledAtDispatch.add(job.jobId);
    void world.spawn("operator", "cancel", () => cancelJob(store, job.jobId)).result.catch(() => undefined);
    return { kind: "delay", ms: 8_000 };
  };
  const network = new SimNetwork(
    world,
    { dynamodb: options.dynamo, sqs, lambda, sns, s3 },
    (info: CallInfo) => {
      const operatorCancel = cancelAtFinish(info) ?? cancelAtDispatch(info);
      if (operatorCancel) return operatorCancel;
      const fault: CallFault = info.call.actor ? plan.call(info, world.now()) : { kind: "none" };
      // A delayed call is decided again when it leaves the gate the second time: count it once.
      if (!(info.call as { delayed?: boolean }).delayed) countCall(coverage, info.site, fault.kind);
      if (
        fault.kind !== "none" &&
        process.env.CHAOS_TRACE &&
        info.request.body.includes(process.env.CHAOS_TRACE)
      )
        process.stderr.write(
          `${new Date(world.now()).toISOString().slice(11, 23)} ${info.call.actor?.id ?? "-"} FAULT ${fault.kind} ${info.site}\n`,
        );
      if (fault.kind !== "none" && info.call.actor)
        ledger.faulted.push({ actor: info.call.actor, site: info.site, kind: fault.kind, atMs: world.now() });
      return fault;
    },
    () => {},
    (info: CallInfo, answer: Answer) => {
      recordWrite(ledger, info, answer, world.now());
      countCondition(coverage, info, answer);
      if (info.service === "dynamodb" && answer.status === 400 && answer.body.includes("ValidationException"))
        ledger.invalid.push(`${info.site}: ${answer.body.slice(0, 200)}`);
      // A run that freed its run slot has stopped draining (it frees it after its pollers ended): it no longer
      // counts as receiving, though its process may still be waiting for that write's answer (a retry held up
      // by a delay; seed 410). A receive after it would count it again.
      const last = ledger.writes.at(-1);
      if (last?.kind === "RUN-SLOT-FREED" && last.seq === ledger.seq - 1 && last.actor)
        ledger.receivers.delete(last.actor);
      // Scale-out's cap: consumer runs receiving at once (a run that ended or died no longer counts).
      const actor = info.call.actor;
      if (info.service === "sqs" && info.operation === "ReceiveMessage" && actor?.kind === "consumer") {
        ledger.receivers.add(actor);
        for (const a of ledger.receivers) if (!a.alive) ledger.receivers.delete(a);
        if (ledger.receivers.size > ledger.mostReceivers)
          ledger.atMost = [...ledger.receivers].map(
            (a) =>
              `${a.id} (${
                ledger.writes
                  .filter((w) => w.actor === a && w.kind.startsWith("RUN-SLOT"))
                  .map((w) => `${w.kind} ${w.pk} at ${new Date(w.atMs).toISOString().slice(11, 23)}`)
                  .join(", ") || "no run slot"
              })`,
          );
        ledger.mostReceivers = Math.max(ledger.mostReceivers, ledger.receivers.size);
      }
      // CHAOS_TRACE=<text>: every answered call whose request mentions it (debugging a replay).
      const trace = process.env.CHAOS_TRACE;
      if (trace && (info.request.body.includes(trace) || (info.call.actor?.id ?? "").includes(trace)))
        process.stderr.write(
          `${new Date(world.now()).toISOString().slice(11, 23)} ${info.call.actor?.id ?? "-"} ${info.service}.${info.operation} ${answer.status} ${info.request.body.slice(0, 400)} => ${answer.body.slice(0, 300)}\n`,
        );
    },
  );
  const clients = {
    dynamo: createDynamoClient({ requestHandler: network.handler("dynamodb"), unsigned: true }),
    sqs: createSqsClient({ requestHandler: network.handler("sqs"), unsigned: true }),
    lambda: createLambdaClient({ requestHandler: network.handler("lambda"), unsigned: true }),
    sns: createSnsClient({ requestHandler: network.handler("sns"), unsigned: true }),
  };
  const store = createStore({
    tableName: options.tableName,
    ttlSeconds: settings.dedup.ttl_seconds,
    client: clients.dynamo,
    // Jobs of 1-6 tasks recorded with shards of 2 tasks, 2 wide, 2 to a group (ADR 0014): up to 4 shards in
    // 2 groups, so the explorer crosses every level of the counters, not just one shard.
    counterLayout: { maxWidth: 2, perShard: 2, perGroup: 2 },
  });
  const logger = (name: string) => createLogger(name);

  const taskHandler: TaskHandler = async (task, context) => {
    const actor = world.current();
    const taskId = task.taskId;
    const key = incarnationKey(taskId, task.epoch);
    const attempt = (ledger.attempts.get(key) ?? 0) + 1;
    ledger.attempts.set(key, attempt);
    ledger.handlerStarts.push({
      jobId: task.jobId,
      epoch: task.epoch,
      taskId,
      requestId: context.lambda.awsRequestId,
      seq: ledger.seq++,
    });
    // Handlers of the job running at once; one stops counting when it returns or its process dies.
    const running = ledger.running.get(task.jobId) ?? { now: 0, most: 0 };
    ledger.running.set(task.jobId, running);
    running.now += 1;
    running.most = Math.max(running.most, running.now);
    let counted = true;
    const stop = () => {
      if (counted) running.now -= 1;
      counted = false;
    };
    void actor?.died.then(stop);
    try {
      const payload = task.payload as { name?: string; behaviour?: string };
      const b = behaviourOf((task.seed ? payload.name : payload.behaviour) ?? "");
      await new Promise((resolve) => setTimeout(resolve, b.ms));
      if (!actor?.alive) return undefined;
      if (b.kind === "poison") throw new Error(`poison task ${taskId}`);
      if (b.kind === "flaky" && attempt <= b.failures)
        throw new Error(`flaky task ${taskId}, attempt ${attempt}`);
      const list = ledger.completions.get(key) ?? [];
      list.push(actor);
      ledger.completions.set(key, list);
      // The result names its task: the checks compare it with the record it is stored in.
      return { taskId, attempt };
    } finally {
      stop();
    }
  };
  // Each function is wired as its Lambda entry module wires it (`mainDeps`, `consumerDeps`, `workerDeps`),
  // from the environment Terraform and the local stack give it (`functionEnvironment`), with Lambda's async
  // settings from main.tf. The simulation replaces only: the SDK clients' HTTP handler, the store's counter
  // layout (small, so that a few tasks cross shards and groups), and the worker's process.exit.
  const resources = {
    tasksQueueUrl: tasksQueue.url,
    deadLetterQueueUrl: dlq.url,
    failedQueueUrl: failedQueue.url,
    tableName: options.tableName,
    jobsTopicArn,
    inputBucket: names.inputBucket,
    names,
  };
  // Lambda's async settings (retries, event age, on-failure destination) exactly as the local stack and
  // Terraform give them (function-specs.test.ts compares the two).
  const specs = functionSpecs(settings, resources, (fn) => fn);
  const asyncOf = (fn: "main" | "consumer" | "worker") => {
    const spec = specs.find((s) => s.name === names[`${fn}Function`]);
    const a = spec?.async;
    if (a?.maximumRetryAttempts === undefined || a.maximumEventAgeSeconds === undefined)
      throw new Error(`no async settings for ${fn}`);
    return {
      maximumRetryAttempts: a.maximumRetryAttempts,
      maximumEventAgeSeconds: a.maximumEventAgeSeconds,
      ...(a.onFailureQueueUrl === undefined ? {} : { onFailureQueueUrl: a.onFailureQueueUrl }),
    };
  };
  const envOf = (fn: "main" | "consumer" | "worker") => ({
    ...functionEnvironment(fn, settings, resources),
    AWS_LAMBDA_FUNCTION_NAME: names[`${fn}Function`],
  });
  const wired = {
    dynamo: clients.dynamo,
    sqs: clients.sqs,
    sns: () => clients.sns,
    lambda: () => clients.lambda,
  };
  const mainConfig = readConfig(mainConfigSchema, envOf("main"));
  const consumerConfig = readConfig(consumerConfigSchema, envOf("consumer"));
  const workerConfig = readConfig(workerConfigSchema, envOf("worker"));
  const mainFn = mainDeps(
    mainConfig,
    { ...wired, s3: () => createS3Client({ requestHandler: network.handler("s3"), unsigned: true }) },
    { logger: logger("main") },
  );
  const consumerFn = consumerDeps(
    consumerConfig,
    { ...wired, lambda: clients.lambda },
    { logger: logger("consumer") },
  );
  const workerFn = workerDeps(workerConfig, wired, { logger: logger("worker") });
  lambda.register({
    name: names.mainFunction,
    kind: "main",
    timeoutSeconds: settings.functions.main.timeout_seconds,
    async: asyncOf("main"),
    handler: mainHandler({
      ...mainFn,
      store,
      // Small chunks and an early hand-over: the workload's small sources take several steps, so that
      // hand-overs, leases and their retries happen (ADR 0013: 500 a chunk, 15 s before the timeout).
      ...(mainFn.source
        ? {
            source: {
              ...mainFn.source,
              chunkMessages: drawn.enqueueLeaseMs === undefined ? 4 : 1,
              // With the short lease, steps of 400 ms: several renewals each, and a lapse under any delay.
              handoverMarginMs:
                settings.functions.main.timeout_seconds * 1000 -
                (drawn.enqueueLeaseMs === undefined ? 50 : 400),
              ...(drawn.enqueueLeaseMs === undefined ? {} : { enqueueLeaseMs: drawn.enqueueLeaseMs }),
            },
          }
        : {}),
    }) as SimFunction["handler"],
  });
  lambda.register({
    name: names.consumerFunction,
    kind: "consumer",
    timeoutSeconds: settings.functions.consumer.timeout_seconds,
    async: asyncOf("consumer"),
    handler: consumerHandler({ ...consumerFn, store }) as SimFunction["handler"],
  });
  lambda.register({
    name: names.workerFunction,
    kind: "worker",
    timeoutSeconds: settings.functions.worker.timeout_seconds,
    async: asyncOf("worker"),
    handler: makeWorker(taskHandler, {
      ...workerFn,
      store,
      // process.exit: the simulated process dies.
      exit: () => {
        const actor = world.current();
        if (actor) world.kill(actor, "process.exit after an overrun handler");
      },
    }) as SimFunction["handler"],
  });

  // The table's stream, mapped to the consumer as Terraform maps it (dedup's taskStreamMapping).
  const stream = new StreamModel(
    world,
    lambda,
    misc.fork("stream"),
    {
      functionName: names.consumerFunction,
      filter: taskStreamMapping.filter,
      batchSize: taskStreamMapping.batchSize,
      batchingWindowSeconds: taskStreamMapping.batchingWindowSeconds,
    },
    () => plan.stream(),
  );
  options.dynamo.streamTo(options.tableName, (change) => stream.push(change));

  // The schedule (EventBridge Scheduler invokes the consumer asynchronously every period).
  const schedule = setInterval(() => lambda.enqueueEvent(names.consumerFunction, "{}"), 60_000);

  // The submitter: a caller that follows the contract (an error other than a refusal: submit again, backing
  // off, for about 20 minutes: past an outage, init failures and crashes in a row).
  const accepted = new Set<string>();
  const refusals: { jobId: string; expected: string; got: string }[] = [];
  // Jobs a submission of which ran out of tries: the caller stopped short of the contract (submit again
  // until answered), so a restart it made may be left with no step.
  const gaveUp = new Set<string>();
  // Submissions planned or under way: the system is not settled while one is (a jobId reused past its TTL).
  let submissions = 0;
  const later = (fn: () => unknown, at: number) => {
    submissions += 1;
    setTimeout(() => {
      submissions -= 1;
      fn();
    }, at);
  };
  const submit = (
    payload: unknown,
    jobId: string,
    expect: "accept" | "InvalidJobError" | "JobConflictError",
    tries = 12,
  ) => {
    submissions += 1;
    void (async () => {
      for (let i = 0; i < tries; i++) {
        const out = await lambda.invokeSync(names.mainFunction, payload);
        if (process.env.CHAOS_TRACE && jobId.includes(process.env.CHAOS_TRACE))
          process.stderr.write(
            `${new Date(world.now()).toISOString().slice(11, 23)} submit ${jobId} try ${i}: ${JSON.stringify(out).slice(0, 200)}\n`,
          );
        if (out.ok) {
          if (expect === "accept") accepted.add(jobId);
          else refusals.push({ jobId, expected: expect, got: "accepted" });
          return;
        }
        if (out.errorType === "InvalidJobError" || out.errorType === "JobConflictError") {
          if (out.errorType !== expect) refusals.push({ jobId, expected: expect, got: out.errorType });
          return;
        }
        // Past any outage (up to 6 minutes): 10 s, 20 s, 40 s ... up to 2 minutes apart.
        await new Promise((r) => setTimeout(r, Math.min(120_000, 10_000 * 2 ** i)));
      }
      if (expect !== "accept") refusals.push({ jobId, expected: expect, got: "no answer after retries" });
      else gaveUp.add(jobId);
    })().finally(() => {
      submissions -= 1;
    });
  };
  for (const job of workload.jobs) {
    const payload = jobPayload(job, job.names, names.inputBucket);
    later(() => submit(payload, job.jobId, "accept"), job.atMs);
    for (const at of job.resubmitAtMs) later(() => submit(payload, job.jobId, "accept"), at);
    // The same document again once the job's record expired (its TTL counts from its finish): a new incarnation.
    if (job.reuseAtMs !== undefined) later(() => submit(payload, job.jobId, "accept"), job.reuseAtMs);
    if (job.conflictAtMs !== undefined) {
      const other = jobPayload(job, [...job.names, "ok-100-99"]);
      // Only meaningful once the first submission was recorded; refused either way, or accepted if first.
      setTimeout(
        () => accepted.has(job.jobId) && submit(other, job.jobId, "JobConflictError"),
        job.conflictAtMs,
      );
    }
  }
  for (const bad of workload.invalid)
    setTimeout(() => submit(bad.payload, bad.jobId, "InvalidJobError"), bad.atMs);
  for (const body of workload.malformed) sqs.put(tasksQueue.url, body);

  // The operator: `fanout failed redrive` at random moments during the faults, and once after them.
  const operatorOut = memoryOutput();
  const cli: CliContext = {
    settings,
    names,
    sqs: clients.sqs,
    lambda: clients.lambda,
    store,
    queueUrl: async (name) => {
      const q = [...sqs.queues.values()].find((x) => x.name === name);
      if (!q) throw new Error(`no queue ${name}`);
      return q.url;
    },
    close() {},
  };
  // One run of `fanout failed redrive`: true when it finished and exited 0 (a process that died, or an exit 1,
  // is run again by the operator, as its output tells them to).
  const redrive = (): Promise<boolean> => {
    const run = world.spawn(
      "operator",
      "redrive",
      () =>
        failedRedrive(
          cli,
          { stdout: operatorOut, stderr: operatorOut, stdin: process.stdin },
          { max: 1000, dryRun: false, json: false, nudge: true },
        ),
      plan.operatorSkewMs(),
    );
    return Promise.race([run.result.then((code) => code === 0), run.actor.died.then(() => false)]).catch(
      () => false,
    );
  };
  for (const at of workload.redriveAtMs) setTimeout(() => void redrive(), at);
  // The operator cancels some jobs (`fanout cancel`): once, at a random moment, faults and all.
  for (const job of workload.jobs) {
    const at = job.cancelAtMs;
    if (at === undefined) continue;
    setTimeout(
      () =>
        void world
          .spawn("operator", "cancel", () => cancelJob(store, job.jobId))
          .result.catch(() => undefined),
      at,
    );
  }

  const quiet = () =>
    world.pendingCalls() === 0 &&
    !lambda.busy() &&
    sqs.empty(tasksQueue.url) &&
    submissions === 0 &&
    stream.idle();
  const faultWindow = options.faultWindowMs ?? defaultFaultWindowMs;
  // 1. Faults on (outages too), until the fault window closes.
  await world.run({ done: () => false, horizonMs: START + faultWindow, decide: (c) => c.process("deliver") });
  // 2. The call faults go on into the settle phase for a while (no outage starts), then stop: the system
  //    settles (Lambda retries, schedule ticks), then every lease is waited out.
  await world.run({
    done: () => false,
    horizonMs: START + faultWindow + settleFaultsMs,
    decide: (c) => c.process("deliver"),
  });
  plan.mode = "off";
  await world.run({
    done: quiet,
    horizonMs: START + faultWindow + 8 * 3_600_000,
    decide: (c) => c.process("deliver"),
  });
  await world.run({
    done: () => false,
    horizonMs: world.now() + 3 * 60_000,
    decide: (c) => c.process("deliver"),
  });
  // 3. The one documented recovery command, with faults on its own calls: run again until it exits 0 (the
  //    last tries fault-free), then settle again.
  let redriveDone = false;
  void (async () => {
    for (let attempt = 1; attempt <= 6; attempt++) {
      plan.mode = attempt <= 3 ? "operator" : "off";
      if (attempt <= 3) plan.operatorAttempt();
      if (await redrive()) break;
      // As the redrive's message says: records another run held come back after its visibility timeout.
      await new Promise((resolve) => setTimeout(resolve, (redriveVisibilitySeconds + 5) * 1000));
    }
    plan.mode = "off";
    redriveDone = true;
  })();
  await world.run({
    done: () => redriveDone && quiet(),
    horizonMs: world.now() + 8 * 3_600_000,
    decide: (c) => c.process("deliver"),
  });
  // A notice the redrive recorded (it finished a job) is published by the next consumer runs' sweep.
  await world.run({
    done: () => false,
    horizonMs: world.now() + 3 * 60_000,
    decide: (c) => c.process("deliver"),
  });
  clearInterval(schedule);
  await world.run({ done: quiet, horizonMs: world.now() + 3_600_000, decide: (c) => c.process("deliver") });
  const virtualMs = world.now() - START;
  const calls = ledger.seq;
  options.dynamo.streamTo(options.tableName, undefined);
  world.dispose();

  const violations = await check({
    options,
    workload,
    ledger,
    accepted,
    refusals,
    gaveUp,
    sqs,
    sns,
    queues: { tasks: tasksQueue.url, dlq: dlq.url, failed: failedQueue.url },
    quiet: quiet(),
    settings,
  });
  return {
    seed: options.seed,
    faults: plan.injected,
    faultsByKind: plan.byKind,
    violations: violations.violations,
    windows: violations.windows,
    tasks: workload.jobs.reduce((n, j) => n + j.names.length, 0),
    virtualMs,
    calls,
    coverage,
  };
}

/** A task of one incarnation of its job (a jobId reused past its TTL runs its tasks afresh). */
const incarnationKey = (taskId: string, epoch: number) => `${taskId}@${epoch}`;

/** A task's entries of a ledger map, one list per incarnation. */
function incarnationsOf<T>(map: Map<string, T[]>, taskId: string): T[][] {
  return [...map.entries()].filter(([k]) => k.startsWith(`${taskId}@`)).map(([, v]) => v);
}

/** Counts a conditional write's answer for its clause (named by its call site): let through, or refused. */
function countCondition(coverage: CoverageReport, info: CallInfo, answer: Answer): void {
  if (info.service !== "dynamodb" || !info.request.body.includes('"ConditionExpression"')) return;
  const refused = answer.status === 400 && answer.body.includes("ConditionalCheckFailed");
  if (answer.status !== 200 && !refused) return;
  countClause(coverage, info.site, !refused);
}

/** Notes each successful DynamoDB write of a task state, by the actor that made it. */
/**
 * The counter summaries' version order (ADR 0014): a group or progress item carries each part's summary under
 * a version (`v<k>`, `gv<g>`), written only over a lower one, so that writers arriving in any order leave the
 * newest state. Checked at each write that took effect, not at the end: a later write may hide a regression.
 */
function recordVersion(ledger: Ledger, input: UpdateInput): void {
  const name = input.ExpressionAttributeNames?.["#v"];
  const version = Number(input.ExpressionAttributeValues?.[":v"]?.N);
  if (!name || !/^g?v\d+$/.test(name) || !input.UpdateExpression?.startsWith("SET #v = :v")) return;
  if (!Number.isFinite(version)) return;
  const key = `${input.Key?.pk?.S ?? ""} ${name}`;
  const before = ledger.versions.get(key);
  if (before !== undefined && version <= before)
    ledger.versionRegressions.push(`${key}: version ${version} written over version ${before}`);
  ledger.versions.set(key, Math.max(before ?? version, version));
}

/** The parts of an UpdateItem request the checks read. */
interface UpdateInput {
  Key?: { pk?: { S?: string } };
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Record<string, { S?: string; N?: string; BOOL?: boolean }>;
  UpdateExpression?: string;
}

/** The ledger's kinds that set a task's status. */
const taskStates = new Set([
  "CLAIMED",
  "DISPATCHED",
  "REQUEUED",
  "RELEASED",
  "SUCCEEDED",
  "FAILED-FINAL",
  "FAILED",
  "RUNNING",
  "CANCELLED",
]);

function recordWrite(ledger: Ledger, info: CallInfo, answer: Answer, atMs: number): void {
  if (info.service !== "dynamodb" || answer.status !== 200 || info.operation !== "UpdateItem") return;
  const input = JSON.parse(info.request.body) as UpdateInput;
  recordVersion(ledger, input);
  const pk = input.Key?.pk?.S ?? "";
  const v = input.ExpressionAttributeValues ?? {};
  const update = input.UpdateExpression ?? "";
  let kind: string | undefined;
  if (pk.startsWith("TASK#") && update.startsWith("SET #s = :claimed")) kind = "CLAIMED";
  else if (v[":dispatched"]?.S === "DISPATCHED" && update.includes(":dispatched")) kind = "DISPATCHED";
  // A redrive's requeue (a released claim sets REQUEUED too, but the claim had not dispatched).
  else if (v[":requeued"]?.S === "REQUEUED" && update.includes("requeuedAt")) kind = "REQUEUED";
  // A consumer that let go of its claim (the invoke was refused): the message may claim it again at once.
  else if (
    v[":requeued"]?.S === "REQUEUED" &&
    pk.startsWith("TASK#") &&
    update.startsWith("SET #s = :requeued")
  )
    kind = "RELEASED";
  else if (v[":status"]?.S === "SUCCEEDED") kind = "SUCCEEDED";
  // A run's final failure (finishRun): a later write of the task is Lambda's retry of a failure judged final.
  else if (v[":status"]?.S === "FAILED" && v[":final"]?.BOOL === true) kind = "FAILED-FINAL";
  else if (v[":running"]?.S === "RUNNING" && update.startsWith("SET #s = :running")) kind = "RUNNING";
  // A cancel, or a failure threshold that stopped the job (JOB-FAILING too).
  else if (update.includes("cancelledAt = :now"))
    kind = update.includes("failedAt") ? "JOB-FAILING" : "JOB-CANCELLED";
  else if (update.includes("finishedAt = :now, finalState")) kind = "JOB-FINISHED";
  else if (pk.startsWith("RUN#")) kind = update.startsWith("REMOVE") ? "RUN-SLOT-FREED" : "RUN-SLOT-TAKEN";
  // A job's concurrency slot given back (the task that held it is the holder).
  else if (/#SLOT#\d+$/.test(pk) && update.includes("REMOVE holder")) kind = "SLOT-FREED";
  // For the message of a violation only: the other task outcomes and each counter shard write.
  else if (pk.startsWith("TASK#") && v[":status"]?.S) kind = v[":status"].S;
  else if (/#[IS]#\d+$/.test(pk) && /^(ADD|DELETE) /.test(update))
    kind = `COUNT ${update.split(" ").slice(0, 2).join(" ")}`;
  if (!kind) return;
  const lease = kind === "CLAIMED" || kind === "RUNNING" ? Number(v[":lease"]?.N) : undefined;
  // A cancel names the job, not its incarnation: the record it wrote (ALL_NEW) says which one it stopped, so a
  // later incarnation of the jobId (resubmitted once the cancelled one expired) is not held to it.
  const epoch =
    v[":ep"]?.N ??
    (kind === "JOB-CANCELLED"
      ? (JSON.parse(answer.body) as { Attributes?: { epoch?: { N?: string } } }).Attributes?.epoch?.N
      : undefined);
  ledger.writes.push({
    kind,
    pk,
    actor: info.call.actor,
    seq: ledger.seq++,
    atMs,
    ...(epoch !== undefined ? { epoch: Number(epoch) } : {}),
    ...(lease !== undefined && Number.isFinite(lease) ? { leaseMs: lease } : {}),
    ...(kind === "REQUEUED" && v[":rid"]?.S !== undefined ? { rid: v[":rid"].S } : {}),
    ...(kind === "SLOT-FREED" && v[":me"]?.S !== undefined ? { holder: v[":me"].S } : {}),
    ...((kind === "CLAIMED" || kind === "RUNNING" || kind === "REQUEUED") &&
    v[":tk"]?.S !== undefined &&
    v[":tk"].S !== "(none)"
      ? { token: v[":tk"].S }
      : {}),
  });
}

async function check(input: {
  options: ScheduleOptions;
  workload: Workload;
  ledger: Ledger;
  accepted: Set<string>;
  refusals: { jobId: string; expected: string; got: string }[];
  gaveUp: ReadonlySet<string>;
  sqs: SqsModel;
  sns: SnsModel;
  queues: { tasks: string; dlq: string; failed: string };
  quiet: boolean;
  settings: Settings;
}): Promise<{ violations: Violation[]; windows: Record<string, number> }> {
  const { options, workload, ledger, sqs } = input;
  const notices = input.sns.deliveries.map((d) => ({ ...d, notice: JSON.parse(d.message) as JobNotice }));
  const violations: Violation[] = [];
  const windows: Record<string, number> = {};
  const add = (guarantee: Violation["guarantee"], message: string) => violations.push({ guarantee, message });
  const windowed = (name: string) => {
    windows[name] = (windows[name] ?? 0) + 1;
  };
  for (const refusal of ledger.invalid)
    add("invalid", `DynamoDB refused a request as malformed at ${refusal}`);
  // G7 (scale-out): never more consumer runs receiving at once than the run slots allow.
  const maxRuns = input.settings.consumer.max_parallel;
  if (ledger.mostReceivers > maxRuns)
    add(
      "G7",
      `${ledger.mostReceivers} consumer runs received at once, over consumer.max_parallel ${maxRuns}: ${ledger.atMost.join("; ")}`,
    );
  if (ledger.mostReceivers > 1) windowed("consumer runs scaled out");
  // G8 cap, at the moment it breaks: a job's concurrency slot is not given back while its task runs under a
  // live lease in another process (the consumer that lost a claim to a stale run, defect 4; a worker whose
  // start was refused): another task of the job could take it and run beside it.
  for (const w of ledger.writes) {
    if (w.kind !== "SLOT-FREED" || w.holder === undefined) continue;
    const last = ledger.writes.findLast(
      (t) => t.pk === `TASK#${w.holder}` && t.seq < w.seq && taskStates.has(t.kind),
    );
    const run = last?.kind === "RUNNING" ? last : undefined;
    const live =
      run?.actor !== undefined &&
      run.actor !== w.actor &&
      run.leaseMs !== undefined &&
      run.leaseMs - run.actor.skewMs > w.atMs + clockSkewToleranceMs &&
      (run.actor.alive || (run.actor.diedAtMs ?? 0) > w.atMs);
    if (live)
      add(
        "G8",
        `task ${w.holder}'s concurrency slot was freed by ${w.actor?.id ?? "?"} while ${run?.actor?.id ?? "?"} ran it under a live lease`,
      );
  }
  // G7, at the moment it breaks: a run slot is freed only by the run that holds it (a late release of a run
  // whose lease ended would free the slot under its successor, and a third run would drain beside it).
  const slotHolders = new Map<string, Actor | undefined>();
  for (const w of ledger.writes) {
    if (w.kind === "RUN-SLOT-TAKEN") slotHolders.set(w.pk, w.actor);
    if (w.kind !== "RUN-SLOT-FREED") continue;
    const holder = slotHolders.get(w.pk);
    if (holder !== undefined && holder !== w.actor)
      add("G7", `run slot ${w.pk} freed by ${w.actor?.id ?? "?"} while ${holder.id} held it`);
    slotHolders.set(w.pk, undefined);
  }
  for (const regression of ledger.versionRegressions)
    add("counters", `a counter summary went back: ${regression}`);
  const get = async (pk: string) =>
    (
      await options.checkClient.send(
        new GetItemCommand({ TableName: options.tableName, Key: { pk: { S: pk } }, ConsistentRead: true }),
      )
    ).Item;
  const failedRecords = sqs.bodies(input.queues.failed).map((b) => {
    try {
      const r = JSON.parse(b) as { requestPayload?: { jobId?: string; index?: number } };
      return `${r.requestPayload?.jobId}#${r.requestPayload?.index}`;
    } catch {
      return "";
    }
  });
  const dlqTasks = sqs.bodies(input.queues.dlq).flatMap((b) => {
    try {
      return [taskIdOf(parseTask(b))];
    } catch {
      return [];
    }
  });
  if (!input.quiet)
    add("stuck", "the system did not settle: calls, events or task messages still pending at the horizon");

  const store: DedupStore = createStore({
    tableName: options.tableName,
    ttlSeconds: simSettings.dedup.ttl_seconds,
    client: options.checkClient,
  });
  for (const job of workload.jobs) {
    if (!input.accepted.has(job.jobId)) continue;
    const jobItem = await get(`JOB#${job.jobId}`);
    // Cancelled by the operator, or stopped by its failure threshold: its tasks may end CANCELLED.
    const stopped = jobItem?.cancelledAt?.N !== undefined;
    const cancelWrite = ledger.writes.find(
      (w) => (w.kind === "JOB-CANCELLED" || w.kind === "JOB-FAILING") && w.pk === `JOB#${job.jobId}`,
    );
    // G1 for a source job's record: once settled, its enqueue progress reached its total (a job left part way,
    // or restarted at 0 with no step running, has tasks nothing will send if their messages were lost).
    const enqueuedTo = jobItem?.enqueuedTo?.N;
    // Unless a submission gave up (its caller broke the contract, and a restart it made has no step).
    const owed = !stopped && !input.gaveUp.has(job.jobId);
    if (job.sourceKey !== undefined && jobItem?.source !== undefined && owed && enqueuedTo !== undefined)
      if (Number(enqueuedTo) !== Number(jobItem.total?.N))
        add(
          "G1",
          `source job ${job.jobId} settled with its enqueue progress at ${enqueuedTo} of ${jobItem.total?.N} (restarted by ${jobItem.enqueueRestartedBy?.S ?? "nobody"}, lease until ${jobItem.enqueueLeaseUntil?.N ?? "none"})`,
        );
    let succeeded = 0;
    let failed = 0;
    let cancelled = 0;
    for (let i = 0; i < job.names.length; i++) {
      const taskId = `${job.jobId}#${i}`;
      const b = behaviourOf(job.names[i] ?? "");
      const item = await get(`TASK#${taskId}`);
      const status = item?.status?.S;
      if (status === "SUCCEEDED") succeeded++;
      if (status === "FAILED" && item?.finalFailure?.BOOL === true) failed++;
      if (status === "CANCELLED") cancelled++;
      if (status === "CANCELLED" && !stopped)
        add("G8", `task ${taskId} is CANCELLED, but its job was never cancelled`);
      // G8: a result belongs to the task that produced it.
      if (status === "SUCCEEDED") {
        const result =
          item?.result?.S === undefined ? undefined : (JSON.parse(item.result.S) as { taskId?: string });
        if (result?.taskId !== taskId)
          add("G8", `task ${taskId} is SUCCEEDED with the result ${item?.result?.S ?? "(none)"}`);
      }
      // Quiet, and still "retry pending": status would hold the job open for ever.
      if (status === "FAILED" && item?.finalFailure?.BOOL !== true)
        add("G1", `task ${taskId} is FAILED with a retry pending, but nothing will retry it`);
      const where = `${dlqTasks.includes(taskId) ? " (its message is in the dead-letter queue)" : ""}`;
      if (stopped && (status === "CANCELLED" || (status === "FAILED" && item?.finalFailure?.BOOL === true))) {
        // A stopped job's task ends cancelled (before it ran, or between Lambda's retries) or failed for good
        // (its failure may be what stopped the job); its failed-task record is not owed: nobody redrives a
        // stopped job's tasks.
      } else if (b.kind === "poison") {
        if (status !== "FAILED" || !item?.lastError?.S || !failedRecords.includes(taskId))
          add(
            "G1",
            `poison task ${taskId} ended ${status ?? "with no record"}${failedRecords.includes(taskId) ? "" : ", no record in the failed-task queue"}${where}`,
          );
      } else if (status !== "SUCCEEDED") {
        add("G1", `task ${taskId} (${b.kind}) ended ${status ?? "with no record"}${where}`);
      }
      // G2: a second accepted worker invocation needs a named reason.
      for (const dispatches of incarnationsOf(ledger.dispatches, taskId))
        for (let k = 1; k < dispatches.length; k++) {
          const prev = dispatches[k - 1];
          const cur = dispatches[k];
          if (!prev || !cur) continue;
          // A run between the two that died, or stalled until its RUNNING lease ended before the claim.
          const reclaim = ledger.writes.findLast(
            (w) => w.kind === "CLAIMED" && w.pk === `TASK#${taskId}` && w.seq > prev.seq && w.seq < cur.seq,
          );
          const deadRun = ledger.writes.some(
            (w) =>
              w.kind === "RUNNING" &&
              w.pk === `TASK#${taskId}` &&
              w.seq > prev.seq &&
              w.seq < cur.seq &&
              w.actor !== undefined &&
              (!w.actor.alive ||
                (reclaim !== undefined &&
                  w.leaseMs !== undefined &&
                  reclaim.atMs + clockSkewToleranceMs >= w.leaseMs - w.actor.skewMs)),
          );
          // The claims behind the two dispatches: the second may only follow the first once the first's lease
          // ended (its consumer died, stalled, or kept the claim after a lost answer), never after a release.
          const claimOf = (d: { caller: Actor | undefined; seq: number }, after: number) =>
            ledger.writes.findLast(
              (w) =>
                w.kind === "CLAIMED" &&
                w.pk === `TASK#${taskId}` &&
                w.actor === d.caller &&
                w.seq < d.seq &&
                w.seq > after,
            );
          const prevClaim = claimOf(prev, -1);
          const curClaim = claimOf(cur, prev.seq);
          const released = ledger.writes.some(
            (w) =>
              w.kind === "RELEASED" &&
              w.pk === `TASK#${taskId}` &&
              w.actor === prev.caller &&
              w.seq > prev.seq &&
              w.seq < cur.seq,
          );
          const leaseEnded =
            prevClaim?.leaseMs !== undefined &&
            curClaim !== undefined &&
            curClaim.atMs + clockSkewToleranceMs >= prevClaim.leaseMs - (prevClaim.actor?.skewMs ?? 0);
          // The same consumer, the same claim: its invoke's answer was lost (or late past the SDK's timeout) and
          // the SDK's retry was accepted as a second event. The worker's RUNNING lease still runs it once.
          const sdkRetry =
            cur.caller !== undefined &&
            cur.caller === prev.caller &&
            curClaim === undefined &&
            ledger.faulted.some(
              (f) =>
                f.actor === prev.caller &&
                / lambda\.Invoke$/.test(f.site) &&
                (f.kind === "lost" || f.kind === "delay"),
            );
          if (process.env.CHAOS_DEBUG_G2 === taskId)
            process.stderr.write(
              `${JSON.stringify({ prev: prev.requestId, cur: cur.requestId, reclaim: reclaim && { at: new Date(reclaim.atMs).toISOString(), actor: reclaim.actor?.id }, runs: ledger.writes.filter((w) => w.kind === "RUNNING" && w.pk === `TASK#${taskId}`).map((w) => ({ seq: w.seq, at: new Date(w.atMs).toISOString(), lease: w.leaseMs && new Date(w.leaseMs).toISOString(), alive: w.actor?.alive, actor: w.actor?.id })), prevSeq: prev.seq, curSeq: cur.seq })}\n`,
            );
          // A redrive's requeue between the two, made when nothing else would run the task: it redrove the
          // first dispatch's own failed event, or the task's latest run had failed for good, or the run or
          // claim after the first dispatch had ended (its lease over, by the true clock and the skew allowed).
          const task = `TASK#${taskId}`;
          const redriven = ledger.writes.some((rq) => {
            if (rq.kind !== "REQUEUED" || rq.pk !== task || rq.seq < prev.seq || rq.seq > cur.seq)
              return false;
            if (rq.rid === prev.requestId || (rq.token !== undefined && rq.token === prev.token)) return true;
            const before = ledger.writes.filter((w) => w.pk === task && w.seq > prev.seq && w.seq < rq.seq);
            const ended = (w: Write) =>
              w.leaseMs !== undefined && w.leaseMs - (w.actor?.skewMs ?? 0) <= rq.atMs + clockSkewToleranceMs;
            return (
              before.findLast((w) => taskStates.has(w.kind))?.kind === "FAILED-FINAL" ||
              before.some((w) => (w.kind === "RUNNING" || w.kind === "CLAIMED") && ended(w))
            );
          });
          if (redriven) windowed("redispatch after a redrive");
          else if (sdkRetry)
            windowed("invoke's answer lost, the SDK's retry accepted again under the same claim");
          else if (deadRun)
            windowed("redispatch of a run whose worker died or stalled (its RUNNING lease ended)");
          else if (!released && leaseEnded)
            windowed(
              "redispatch once the claim's lease ended with its event not started (message not deleted, or the event late)",
            );
          else
            add(
              "G2",
              `task ${taskId} dispatched again (${cur.requestId} after ${prev.requestId}) though ${
                released
                  ? "Lambda had accepted the first invoke when its consumer released the claim"
                  : `the first claim's lease had not ended (claimed again at ${curClaim ? new Date(curClaim.atMs).toISOString() : "?"}, lease until ${prevClaim?.leaseMs ? new Date(prevClaim.leaseMs).toISOString() : "?"})`
              }`,
            );
        }
      // G2 (ADR 0015): only the event holding the token of the task's latest claim may start it, so an event
      // of an earlier claim, however late Lambda delivers it, never runs the task beside the newer one's.
      {
        let latestClaim: Write | undefined;
        for (const w of ledger.writes) {
          if (w.pk !== `TASK#${taskId}`) continue;
          if (w.kind === "CLAIMED") latestClaim = w;
          else if (w.kind === "RUNNING" && w.token !== undefined && latestClaim?.token !== undefined) {
            if (latestClaim.epoch === w.epoch && latestClaim.token !== w.token)
              add(
                "G2",
                `task ${taskId} started by an event of an earlier claim (token ${w.token}) after it was claimed again (token ${latestClaim.token})`,
              );
          }
        }
      }
      // G3: a second completed run needs a named reason.
      for (const completions of incarnationsOf(ledger.completions, taskId))
        for (let k = 1; k < completions.length; k++) {
          const prev = completions[k - 1];
          if (!prev) continue;
          const recorded = ledger.writes.some(
            (w) => w.kind === "SUCCEEDED" && w.pk === `TASK#${taskId}` && w.actor === prev,
          );
          // Evidence that the outcome write could not be made: DynamoDB refused it through the outcome reserve
          // (at least two faulted tries, 3 s apart or more).
          const outcomeFaults = ledger.faulted.filter((f) => f.actor === prev && /:finishRun /.test(f.site));
          const spanMs =
            outcomeFaults.length > 1 ? (outcomeFaults.at(-1)?.atMs ?? 0) - (outcomeFaults[0]?.atMs ?? 0) : 0;
          if (!recorded && !prev.alive)
            windowed("handler completed, its process died before SUCCEEDED was recorded");
          else if (!recorded && spanMs >= 3_000)
            windowed(
              "handler completed, its outcome write failed through the reserve (DynamoDB unavailable)",
            );
          else
            add(
              "G3",
              `task ${taskId} ran to completion ${completions.length} times (${prev.id}: SUCCEEDED ${recorded ? "recorded" : "not recorded, process alive"})`,
            );
        }
    }
    try {
      const status = await readJobStatus(store, job.jobId);
      if (status.succeeded !== succeeded || status.failed !== failed || status.cancelled !== cancelled)
        add(
          "counters",
          `job ${job.jobId}: counters say ${status.succeeded} succeeded / ${status.failed} failed / ${status.cancelled} cancelled, task records ${succeeded} / ${failed} / ${cancelled}`,
        );
      // The in-flight and retry counts (the consumer's batch count, ADR 0015) end at 0 with every task final,
      // as the shards hold them (status reads a finished job's counts from its progress item, not its shards).
      else if (succeeded + failed + cancelled === job.names.length) {
        const record = await readJob(store, job.jobId);
        const shards = record ? await readShardCounts(store, record) : undefined;
        if (shards && (shards.running !== 0 || shards.retryPending !== 0))
          add(
            "counters",
            `job ${job.jobId}: every task is final, but its counter shards hold ${shards.running} running and ${shards.retryPending} retry pending`,
          );
      }
    } catch (error) {
      add("counters", `job ${job.jobId}: status unreadable (${String(error)})`);
    }
    // G8: no task handler starts for an event Lambda accepted more than the worker's job cache period (5 s,
    // ADR 0015) after the job's cancel was written; within it, a container that read the record before the
    // cancel may (a named window).
    if (cancelWrite)
      // The stop of one incarnation says nothing about a later one (a jobId reused past its TTL).
      for (const start of ledger.handlerStarts.filter(
        (h) => h.jobId === job.jobId && (cancelWrite.epoch === undefined || h.epoch === cancelWrite.epoch),
      )) {
        const accepted = ledger.acceptedSeq.get(start.requestId) ?? -1;
        const acceptedAtMs = ledger.acceptedAtMs.get(start.requestId) ?? Number.POSITIVE_INFINITY;
        if (accepted <= cancelWrite.seq) continue;
        if (acceptedAtMs <= cancelWrite.atMs + workerJobCacheMs + clockSkewToleranceMs)
          windowed(
            "a task started for an event dispatched within 5 s of its job's cancel (a cached job record)",
          );
        else
          add(
            "G8",
            `task ${start.taskId} started for an event dispatched ${Math.round((acceptedAtMs - cancelWrite.atMs) / 1000)} s after its job was cancelled (${start.requestId})`,
          );
      }
    // G8: never more of a capped job's handlers at once than its maxConcurrency.
    const cap = job.options.maxConcurrency;
    const most = ledger.running.get(job.jobId)?.most ?? 0;
    if (cap !== undefined && most > cap)
      add("G8", `job ${job.jobId} ran ${most} tasks at once, over its maxConcurrency ${cap}`);
    // G8: a job whose failures exceed its tolerance is failed (unless the operator cancelled it first).
    const tolerated = job.options.toleratedFailureCount;
    const operatorCancelled = stopped && jobItem?.failedAt?.N === undefined;
    if (
      tolerated !== undefined &&
      failed > tolerated &&
      !operatorCancelled &&
      jobItem?.failedAt?.N === undefined
    )
      add(
        "G8",
        `job ${job.jobId}: ${failed} tasks failed for good, over its toleratedFailureCount ${tolerated}, and it is not failed`,
      );
    // G8: one job.finished notice, with the counts of the task records.
    // The current incarnation's notices (a jobId reused past its TTL has one incarnation per reuse).
    const epoch = Number(jobItem?.epoch?.N ?? -1);
    for (const [e, list] of Map.groupBy(
      notices.filter((n) => n.notice.jobId === job.jobId && n.notice.epoch !== epoch),
      (n) => n.notice.epoch,
    ))
      for (let k = 1; k < list.length; k++)
        if ((list[k]?.atMs ?? 0) - (list[k - 1]?.atMs ?? 0) < snsDedupWindowMs)
          add("G8", `job ${job.jobId}: ${list.length} notices delivered for its incarnation ${e}`);
    const mine = notices.filter((n) => n.notice.jobId === job.jobId && n.notice.epoch === epoch);
    const allFinal = succeeded + failed + cancelled === job.names.length;
    if (allFinal && mine.length === 0)
      add("G8", `job ${job.jobId}: every task is final, but no job.finished notice was delivered`);
    for (let k = 1; k < mine.length; k++) {
      const gap = (mine[k]?.atMs ?? 0) - (mine[k - 1]?.atMs ?? 0);
      if (gap >= snsDedupWindowMs)
        windowed("notice published again after SNS's 5-minute deduplication window");
      else add("G8", `job ${job.jobId}: ${mine.length} notices delivered`);
    }
    const first = mine[0]?.notice;
    // Exactly one write wins the job's finish (the notice's outbox entry): a second one is a second notice
    // that only SNS's deduplication window happens to hide.
    const finishes = ledger.writes.filter(
      (w) => w.kind === "JOB-FINISHED" && w.pk === `JOB#${job.jobId}` && w.epoch === epoch,
    );
    if (finishes.length > 1)
      add(
        "G8",
        `job ${job.jobId} was finished ${finishes.length} times (${finishes.map((w) => w.actor?.id ?? "-").join(", ")})`,
      );
    const finished = ledger.writes.find(
      (w) => w.kind === "JOB-FINISHED" && w.pk === `JOB#${job.jobId}` && w.epoch === epoch,
    );
    // A task record written after the same task was recorded a final failure (Lambda retried it anyway).
    const afterFinalFailure = (w: Write) =>
      ledger.writes.some((f) => f.kind === "FAILED-FINAL" && f.pk === w.pk && f.seq < w.seq);
    // Such a retry's new outcome, written before `seq` by a process that died before counting it: the
    // counters then still hold the failure until another write of its shard (ADR 0015, seed 237).
    const retriedByTheDead = (seq: number, kinds: readonly string[]) =>
      ledger.writes.filter(
        (w) =>
          w.pk.startsWith(`TASK#${job.jobId}#`) &&
          w.seq < seq &&
          kinds.includes(w.kind) &&
          w.actor !== undefined &&
          !w.actor.alive &&
          afterFinalFailure(w),
      );
    const requeuedAfter = ledger.writes.some(
      (w) => w.kind === "REQUEUED" && w.pk.startsWith(`TASK#${job.jobId}#`) && w.seq > (finished?.seq ?? 0),
    );
    // A failure the worker judged final (its next retry looked past the event's maximum age) that Lambda retried anyway:
    // the retry succeeded after the notice, or found the job cancelled meanwhile and was closed CANCELLED.
    const afterFinish = (w: { pk: string; seq: number }) =>
      w.pk.startsWith(`TASK#${job.jobId}#`) && w.seq > (finished?.seq ?? 0);
    const succeededAfter = ledger.writes.some(
      (w) => afterFinish(w) && (w.kind === "SUCCEEDED" || (w.kind === "CANCELLED" && afterFinalFailure(w))),
    );
    // The notice when it was delivered: every task final, the counts and the job record's finish those of the
    // records at that moment, unless a redrive or a retried final failure changed them between finish and delivery.
    const pub = ledger.atPublish.find((p) => p.jobId === job.jobId && p.notice.epoch === epoch);
    if (pub) {
      const changed = ledger.writes.some(
        (w) =>
          afterFinish(w) &&
          w.seq < pub.seq &&
          (w.kind === "REQUEUED" ||
            ((w.kind === "SUCCEEDED" || w.kind === "CANCELLED" || w.kind === "RUNNING") &&
              afterFinalFailure(w))),
      );
      // Lambda's retry of a failure judged final recorded its new outcome and its process died before the
      // counters learnt it (a crash after the record's write): the failure's shard was complete already, so
      // the job could finish on counts that still hold the failure, until a duplicate event settles it again.
      const diedBeforeCounting = retriedByTheDead(pub.seq, ["SUCCEEDED", "CANCELLED"]).length > 0;
      const n = pub.notice;
      const c = pub.counts;
      const differs = n.succeeded !== c.succeeded || n.failed !== c.failed || n.cancelled !== c.cancelled;
      if (!pub.jobFinished)
        add("G8", `job ${job.jobId}: its notice was delivered before its record was finished`);
      // A task not final at the notice is excused only as Lambda's retry of a failure the worker judged final
      // (a FAILED-FINAL write, then a RUNNING one, both before the delivery): ADR 0008's window.
      const retriedFinal = pub.notFinal.every((entry) => {
        const pk = `TASK#${job.jobId}#${entry.split(" ")[0]}`;
        return ledger.writes.some(
          (f) =>
            f.kind === "FAILED-FINAL" &&
            f.pk === pk &&
            f.seq < pub.seq &&
            ledger.writes.some(
              (r) => r.kind === "RUNNING" && r.pk === pk && r.seq > f.seq && r.seq < pub.seq,
            ),
        );
      });
      if (pub.notFinal.length > 0 && retriedFinal)
        windowed("a failure judged final was being retried by Lambda when the job's notice went out");
      else if ((pub.notFinal.length > 0 || differs) && changed)
        windowed(
          "counts changed between the job's finish and its notice's delivery (a redrive or a retried final failure)",
        );
      else if (differs && pub.notFinal.length === 0 && diedBeforeCounting)
        windowed(
          "a retried final failure's new outcome was recorded, its process died before counting it, and the job finished on the old counts",
        );
      else if (pub.notFinal.length > 0)
        add(
          "G8",
          `job ${job.jobId}: its notice was delivered while tasks were not final (${pub.notFinal.join(", ")})`,
        );
      else if (differs)
        add(
          "G8",
          `job ${job.jobId}: its notice said ${n.succeeded} / ${n.failed} / ${n.cancelled} when delivered, the task records then ${c.succeeded} / ${c.failed} / ${c.cancelled}`,
        );
    }
    // Both directions of the threshold: a job stopped as failing had more final failures than it tolerates
    // when it was stopped (each task's last outcome before the stop).
    const stop = ledger.writes.find((w) => w.kind === "JOB-FAILING" && w.pk === `JOB#${job.jobId}`);
    if (stop && tolerated !== undefined) {
      const failuresBefore = (before: (w: Write) => boolean) => {
        const last = new Map<string, string>();
        for (const w of ledger.writes)
          if (
            before(w) &&
            w.pk.startsWith(`TASK#${job.jobId}#`) &&
            ["SUCCEEDED", "FAILED-FINAL", "CANCELLED", "REQUEUED"].includes(w.kind)
          )
            last.set(w.pk, w.kind);
        return [...last.values()].filter((k) => k === "FAILED-FINAL").length;
      };
      const finalFailures = failuresBefore((w) => w.seq < stop.seq);
      // The stop write was held by the network: judge it by the records when it was sent (a failure judged
      // final may have been retried to success, by Lambda, before it landed).
      const sent = ledger.faulted.find(
        (f) => f.actor === stop.actor && f.kind === "delay" && f.site.includes(":stopFailedJob "),
      );
      // Lambda's retry of a failure judged final recorded its success, and its process died before the job's
      // failure count learnt it: the count still holds the failure until another write of that shard.
      const uncounted = new Set(retriedByTheDead(stop.seq, ["SUCCEEDED"]).map((w) => w.pk)).size;
      if (finalFailures <= tolerated && sent && failuresBefore((w) => w.atMs < sent.atMs) > tolerated)
        windowed(
          "a threshold stop held by the network landed after a failure judged final was retried to success",
        );
      else if (finalFailures <= tolerated && finalFailures + uncounted > tolerated)
        windowed(
          "a retried final failure's success was recorded, its process died before counting it, and the job was stopped on the old counts",
        );
      else if (finalFailures <= tolerated)
        add(
          "G8",
          `job ${job.jobId} was stopped as failing with ${finalFailures} final failures recorded, within its toleratedFailureCount ${tolerated}`,
        );
    }
    // The finish's own window (counted when the notice was delivered): Lambda's retry of a failure judged
    // final recorded its new outcome before the finish, and its process died before counting it.
    const finishedOnOldCounts = retriedByTheDead(finished?.seq ?? 0, ["SUCCEEDED", "CANCELLED"]).length > 0;
    if (first && requeuedAfter) windowed("counts changed by a redrive after the job's notice");
    else if (first && succeededAfter)
      windowed("a failure judged final succeeded on Lambda's retry after the job's notice");
    else if (first && finishedOnOldCounts) {
      // Already counted as its window when the notice was delivered.
    } else if (
      first &&
      (first.succeeded !== succeeded || first.failed !== failed || first.cancelled !== cancelled)
    )
      add(
        "G8",
        `job ${job.jobId}: the notice says ${first.succeeded} / ${first.failed} / ${first.cancelled}, the task records ${succeeded} / ${failed} / ${cancelled}; writes: ${historyOf(ledger, job.jobId)}`,
      );
    const expectedState = jobItem?.failedAt?.N
      ? "failed"
      : stopped
        ? "cancelled"
        : failed > (tolerated ?? 0)
          ? "failed"
          : "succeeded";
    if (first && !requeuedAfter && !succeededAfter && !finishedOnOldCounts && first.state !== expectedState)
      add("G8", `job ${job.jobId}: the notice says ${first.state}, expected ${expectedState}`);
  }
  for (const r of input.refusals)
    add(
      r.expected === "JobConflictError" ? "G6" : "G5",
      `job ${r.jobId}: expected ${r.expected}, got ${r.got}`,
    );
  for (const bad of workload.invalid) {
    if (await get(`JOB#${bad.jobId}`)) add("G5", `invalid job ${bad.jobId} left a job record`);
    if (sqs.queues.get(input.queues.tasks)?.sentLog.some((b) => b.includes(`"${bad.jobId}"`)))
      add("G5", `invalid job ${bad.jobId} enqueued a task`);
  }
  for (const body of workload.malformed) {
    if (!sqs.bodies(input.queues.dlq).includes(body))
      add("G5", `malformed message ${JSON.stringify(body)} is not in the dead-letter queue`);
  }
  for (const key of ledger.dispatches.keys())
    if (key.startsWith("invalid:")) add("G5", `a malformed message was dispatched: ${key}`);
  return { violations, windows };
}

export { jsonError };

/** A job's task and counter writes in order, `seq kind key actor` (a violation's message). */
function historyOf(ledger: Ledger, jobId: string): string {
  return ledger.writes
    .filter((w) => w.pk.startsWith(`TASK#${jobId}#`) || w.pk.startsWith(`JOB#${jobId}`))
    .map(
      (w) =>
        `${w.seq} ${w.kind} ${w.pk.slice(w.pk.indexOf(jobId) + jobId.length) || "job"} ${w.actor?.id ?? "-"}`,
    )
    .join("; ");
}
