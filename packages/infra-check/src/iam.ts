import { type Finding, finding } from "./findings.ts";
import {
  type Block,
  calledModule,
  expressionText,
  mentions,
  nested,
  type Stack,
  type TfModule,
} from "./hcl.ts";

/**
 * What each function may do, and on which resource (docs/contracts.md, "IAM least privilege"): action →
 * the Terraform expression its statements' resources must be, or a list of them when the action is granted
 * on several resources (each in its own statement or together). A `conditional` grant exists only when the
 * named boolean variable is on.
 */
type Target = { resource: string; conditional?: string };
type Rule = Target | readonly Target[];
/** X-Ray active tracing: every function's role, only under tracing.enabled; these take no resource but "*". */
const tracing: Record<string, Rule> = {
  "xray:PutTraceSegments": { resource: "*", conditional: "var.tracing.enabled" },
  "xray:PutTelemetryRecords": { resource: "*", conditional: "var.tracing.enabled" },
};

/** The job.finished notice (ADR 0012): the consumer, which finishes jobs from the table's stream, publishes it. */
const notices: Record<string, Rule> = {
  "sns:Publish": { resource: "module.notifications.topic_arn" },
  // The topic is encrypted with its own key.
  "kms:GenerateDataKey": { resource: "module.notifications.kms_key_arn" },
  "kms:Decrypt": { resource: "module.notifications.kms_key_arn" },
};

const functions = ["module.main.function_arn", "module.consumer.function_arn", "module.worker.function_arn"];
const onFunctions = functions.map((resource) => ({ resource }));
const humanQueues = [
  { resource: "module.queue.failed_tasks_queue_arn" },
  { resource: "module.queue.dead_letter_queue_arn" },
];

/**
 * What the person running `pnpm fanout` (submit, status, results, jobs, cancel, failed list/redrive, invoke,
 * metrics, doctor) needs, on which resources: the Terraform output `operator_policy_json` must grant exactly
 * this, and the CLI's e2e test `operator-policy.test.ts` checks it against the calls its commands make.
 */
export const operatorPrivilege: Record<string, Rule> = {
  // submit (main), invoke (any function), failed redrive (nudges the consumer, restarts main's steps).
  "lambda:InvokeFunction": onFunctions,
  // doctor: the account's limit (no resource-level permission) and each function's reservation.
  "lambda:GetAccountSettings": { resource: "*" },
  "lambda:GetFunctionConcurrency": onFunctions,
  // status, results, jobs, cancel, failed redrive (a task's and its job's records, requeue, resettle).
  "dynamodb:GetItem": { resource: "module.table.table_arn" },
  "dynamodb:BatchGetItem": { resource: "module.table.table_arn" },
  "dynamodb:UpdateItem": { resource: "module.table.table_arn" },
  "dynamodb:Query": { resource: `\${module.table.table_arn}/index/jobs-by-created` },
  // failed list/redrive: the failed-task and dead-letter queues; the tasks queue takes what goes back.
  "sqs:GetQueueUrl": [...humanQueues, { resource: "module.queue.tasks_queue_arn" }],
  "sqs:ReceiveMessage": humanQueues,
  "sqs:ChangeMessageVisibility": humanQueues,
  "sqs:DeleteMessage": humanQueues,
  "sqs:GetQueueAttributes": humanQueues,
  "sqs:SendMessage": { resource: "module.queue.tasks_queue_arn" },
  // submit of a file: uploaded to the input bucket first (HeadObject is authorised by s3:GetObject).
  "s3:PutObject": { resource: `\${module.input.bucket_arn}/*` },
  "s3:GetObject": { resource: `\${module.input.bucket_arn}/*` },
  // metrics on AWS (no resource-level permission).
  "cloudwatch:GetMetricData": { resource: "*" },
};

export const leastPrivilege: Record<string, Record<string, Rule>> = {
  main: {
    "sqs:SendMessage": [
      { resource: "module.queue.tasks_queue_arn" },
      // Lambda's on-failure destination of main's own async invokes (a source job's failed enqueue step).
      { resource: "module.queue.failed_tasks_queue_arn" },
    ],
    "dynamodb:PutItem": { resource: "module.table.table_arn" },
    // A source job's enqueue steps, leased and committed on its job record, and the record's reads.
    "dynamodb:UpdateItem": { resource: "module.table.table_arn" },
    "dynamodb:GetItem": { resource: "module.table.table_arn" },
    // A source job's records: the input bucket's objects, not the bucket (no listing).
    "s3:GetObject": { resource: `\${module.input.bucket_arn}/*` },
    "lambda:InvokeFunction": [
      { resource: "module.consumer.function_arn", conditional: "var.main_nudges_consumer" },
      // The rest of a long source job, handed on to itself.
      { resource: "local.self_arns.main" },
    ],
    ...tracing,
  },
  consumer: {
    "sqs:ReceiveMessage": { resource: "module.queue.tasks_queue_arn" },
    "sqs:DeleteMessage": { resource: "module.queue.tasks_queue_arn" },
    "sqs:ChangeMessageVisibility": { resource: "module.queue.tasks_queue_arn" },
    "sqs:SendMessage": [
      // A valid task not handed on now goes back as a fresh, delayed copy (ADR 0008).
      { resource: "module.queue.tasks_queue_arn" },
      // The task-change mapping's on-failure destination (written with the consumer's role).
      { resource: "module.queue.stream_failures_queue_arn" },
    ],
    // The task-change mapping reads the table's stream with the consumer's role (ADR 0015, decision 2).
    "dynamodb:DescribeStream": { resource: `\${module.table.table_arn}/stream/*` },
    "dynamodb:GetRecords": { resource: `\${module.table.table_arn}/stream/*` },
    "dynamodb:GetShardIterator": { resource: `\${module.table.table_arn}/stream/*` },
    "dynamodb:ListStreams": { resource: `\${module.table.table_arn}/stream/*` },
    // The backlog (visible messages) that decides whether a run starts more runs.
    "sqs:GetQueueAttributes": { resource: "module.queue.tasks_queue_arn" },
    "dynamodb:UpdateItem": { resource: "module.table.table_arn" },
    // The job records of the tasks a run receives (cancelled? capped?).
    "dynamodb:GetItem": { resource: "module.table.table_arn" },
    // A capped job's slots; the counter shards of a job that a dropped (cancelled) task finishes.
    "dynamodb:BatchGetItem": { resource: "module.table.table_arn" },
    // The notice sweep: the sparse jobs-to-notify index, not the table.
    "dynamodb:Query": { resource: "module.table.jobs_to_notify_index_arn" },
    "lambda:InvokeFunction": [
      { resource: "module.worker.function_arn" },
      // Scale-out: a run starts more runs of the consumer, up to consumer.max_parallel.
      { resource: "local.self_arns.consumer" },
    ],
    ...notices,
    ...tracing,
  },
  worker: {
    "dynamodb:UpdateItem": { resource: "module.table.table_arn" },
    "dynamodb:GetItem": { resource: "module.table.table_arn" },
    "dynamodb:BatchGetItem": { resource: "module.table.table_arn" },
    // Lambda's on-failure destination.
    "sqs:SendMessage": { resource: "module.queue.failed_tasks_queue_arn" },
    ...tracing,
  },
};

/**
 * Actions that have no resource-level permission in AWS, the only ones allowed on `"*"` (and then with a
 * comment saying so next to the statement).
 */
export const actionsWithoutResourceLevelPermission = new Set([
  "xray:PutTraceSegments",
  "xray:PutTelemetryRecords",
  "cloudwatch:PutMetricData",
  "sts:GetCallerIdentity",
  "lambda:GetAccountSettings",
  "cloudwatch:GetMetricData",
]);

const POLICY_DOC = "aws_iam_policy_document";

interface Statement {
  doc: string;
  module: TfModule;
  body: Block;
  actions: string[];
  resources: unknown[];
}

function statementsOf(mod: TfModule, docName?: string): Statement[] {
  return mod.data
    .filter((d) => d.type === POLICY_DOC && (docName === undefined || d.name === docName))
    .flatMap((d) =>
      nested(d.body, "statement").map((body) => ({
        doc: d.name,
        module: mod,
        body,
        actions: Array.isArray(body.actions) ? body.actions.map(String) : [],
        resources: Array.isArray(body.resources) ? body.resources : [],
      })),
    );
}

const isAllow = (s: Statement) => s.body.effect === undefined || s.body.effect === "Allow";
/** A Deny grants nothing, so it may name every action and every principal (e.g. a bucket's TLS-only rule). */
const isDeny = (s: Statement) => s.body.effect === "Deny";

/** Names of the policy documents a module call's attribute refers to, with the text around each. */
function documentsIn(value: unknown): Array<{ name: string; conditionalOn: string | undefined }> {
  const text = JSON.stringify(value) ?? "";
  const docs: Array<{ name: string; conditionalOn: string | undefined }> = [];
  for (const m of text.matchAll(/data\.aws_iam_policy_document\.([\w-]+)\.json/g)) {
    const before = text.slice(0, m.index);
    const cond = /(var\.[\w.]+)\s*\?\s*\{[^{}]*$/.exec(before);
    docs.push({ name: m[1] as string, conditionalOn: cond?.[1] });
  }
  return docs;
}

/**
 * IAM least privilege:
 * - no `*` (or `prefix*`) action, no NotAction, no `*` principal, anywhere but in a Deny statement;
 * - a `*` resource only for actions without resource-level permissions, with a comment saying so (a KMS
 *   key policy's `*`, which means the key itself, excepted);
 * - each function's role gets exactly the actions of {@link leastPrivilege}, each on its one resource;
 * - each function writes only to its own log group; only the function module grants logs actions;
 * - the schedule's role may only invoke its target.
 */
export function checkIam(stack: Stack): Finding[] {
  const out: Finding[] = [];
  for (const mod of stack.modules.values()) {
    const where = mod.dir || "root";
    // In a KMS key policy the "*" resource is the key itself, not every resource.
    const keyPolicies = new Set(
      mod.resources
        .filter((r) => r.type === "aws_kms_key")
        .flatMap((r) => documentsIn(r.body.policy).map((d) => d.name)),
    );
    for (const s of statementsOf(mod)) {
      const id = `${s.doc}${typeof s.body.sid === "string" ? `/${s.body.sid}` : ""}`;
      for (const action of s.actions) {
        if (action.includes("*") && !isDeny(s))
          out.push(finding("iam", where, `${id}: wildcard action "${action}"`));
      }
      if (s.body.not_actions !== undefined) out.push(finding("iam", where, `${id}: uses not_actions`));
      if (s.body.not_resources !== undefined) out.push(finding("iam", where, `${id}: uses not_resources`));
      for (const p of nested(s.body, "principals")) {
        const ids = Array.isArray(p.identifiers) ? p.identifiers : [];
        if (ids.includes("*") && !isDeny(s)) out.push(finding("iam", where, `${id}: "*" principal`));
      }
      if (s.resources.includes("*") && !keyPolicies.has(s.doc)) {
        const unjustified = s.actions.filter((a) => !actionsWithoutResourceLevelPermission.has(a));
        if (unjustified.length > 0) {
          out.push(
            finding(
              "iam",
              where,
              `${id}: "*" resource for ${unjustified.join(", ")}, which support resource-level permissions`,
            ),
          );
        } else if (!commentedWildcard(mod, s)) {
          out.push(finding("iam", where, `${id}: "*" resource without a comment naming why`));
        }
      }
      if (
        s.actions.some((a) => a.startsWith("logs:")) &&
        !(mod.dir.endsWith("function") && s.doc === "logs")
      ) {
        out.push(
          finding(
            "iam",
            where,
            `${id}: grants logs actions outside the function module's own log group policy`,
          ),
        );
      }
    }
  }
  out.push(
    ...checkOperatorPolicy(stack),
    ...checkFunctionRoles(stack),
    ...checkSelfInvocation(stack),
    ...checkLogs(stack),
    ...checkScheduler(stack),
  );
  return out;
}

/** The functions that invoke themselves: those granted an action on `local.self_arns.<fn>`. */
export function selfInvokers(): string[] {
  return Object.entries(leastPrivilege)
    .filter(([fn, rules]) =>
      Object.values(rules).some((rule) =>
        (isTargetList(rule) ? rule : [rule]).some((t) => t.resource === `local.self_arns.${fn}`),
      ),
    )
    .map(([fn]) => fn);
}

/**
 * A function that invokes itself is granted that on an ARN built from its name (its module's own output
 * would make a cycle): `local.self_arns.<fn>` must be exactly that function's ARN, and the function must
 * let Lambda's recursive loop detection allow the chain (`recursive_loop = "Allow"`), which no other
 * function does.
 */
function checkSelfInvocation(stack: Stack): Finding[] {
  const out: Finding[] = [];
  const root = stack.root;
  const self = selfInvokers();
  const arns = root.locals.self_arns;
  const arnOf = (fn: string) =>
    arns && typeof arns === "object" ? (arns as Record<string, unknown>)[fn] : undefined;
  for (const fn of Object.keys(leastPrivilege)) {
    const call = root.moduleCalls.get(fn);
    if (!call) continue; // checkFunctionRoles reports it
    const where = `root: module "${fn}"`;
    const allows = expressionText(call.recursive_loop) === "Allow";
    if (!self.includes(fn)) {
      if (allows) out.push(finding("iam", where, 'recursive_loop = "Allow", but it does not invoke itself'));
      continue;
    }
    if (!allows)
      out.push(
        finding(
          "iam",
          where,
          'invokes itself, so recursive_loop must be "Allow" (Lambda stops a loop of Lambda functions after about 16 hops)',
        ),
      );
    const expected = `arn:\${data.aws_partition.current.partition}:lambda:\${var.aws_region}:\${data.aws_caller_identity.current.account_id}:function:\${local.names.${fn}}`;
    if (arnOf(fn) !== expected)
      out.push(
        finding(
          "iam",
          "root",
          `local.self_arns.${fn} = ${JSON.stringify(arnOf(fn))}; it must be ${fn}'s own ARN, "${expected}"`,
        ),
      );
    if (expressionText(call.function_name) !== `local.names.${fn}`)
      out.push(
        finding(
          "iam",
          where,
          `function_name must be local.names.${fn}, the name local.self_arns.${fn} is built from`,
        ),
      );
  }
  return out;
}

/** The comment is looked for in the statement's own document: its last declaration (overrides come last). */
function commentedWildcard(mod: TfModule, s: Statement): boolean {
  const mentioned = s.actions[0] ?? "";
  const header = new RegExp(`^data\\s+"${POLICY_DOC}"\\s+"${s.doc}"`);
  const declarations = mod.files.flatMap((f) => {
    const lines = f.source.split("\n");
    const start = lines.findIndex((l) => header.test(l));
    if (start < 0) return [];
    const end = lines.findIndex((l, i) => i > start && l.startsWith("}"));
    return [lines.slice(start, end < 0 ? undefined : end + 1)];
  });
  const lines = declarations.at(-1) ?? [];
  return lines.some(
    (line, i) =>
      /resources\s*=\s*\[\s*"\*"\s*\]/.test(line) &&
      lines.slice(Math.max(0, i - 8), i).some((l) => l.trim().startsWith("#") && l.includes(mentioned)),
  );
}

function isTargetList(rule: Rule): rule is readonly Target[] {
  return Array.isArray(rule);
}

function checkFunctionRoles(stack: Stack): Finding[] {
  const out: Finding[] = [];
  const root = stack.root;
  for (const [fn, allowed] of Object.entries(leastPrivilege)) {
    const call = root.moduleCalls.get(fn);
    const where = `root: module "${fn}"`;
    if (!call) {
      out.push(finding("iam", "root", `no module "${fn}" to check`));
      continue;
    }
    type Grant = { resources: unknown[]; conditionalOn: string | undefined; doc: string };
    const granted = new Map<string, Grant[]>();
    for (const doc of documentsIn(call.policy_documents)) {
      const statements = statementsOf(root, doc.name);
      if (statements.length === 0)
        out.push(finding("iam", where, `policy document ${doc.name} not found in the root`));
      for (const s of statements.filter(isAllow)) {
        for (const action of s.actions) {
          const grants = granted.get(action) ?? [];
          grants.push({ resources: s.resources, conditionalOn: doc.conditionalOn, doc: doc.name });
          granted.set(action, grants);
        }
      }
    }
    for (const [action, grants] of granted) {
      const rule = allowed[action];
      if (!rule) {
        for (const grant of grants)
          out.push(finding("iam", where, `grants ${action} (${grant.doc}), which ${fn} does not need`));
        continue;
      }
      const targets: readonly Target[] = isTargetList(rule) ? rule : [rule];
      const resources = targets.map((t) => t.resource);
      // Each resource is exactly one of the rule's expressions (not an ARN built from it, like an index's).
      const targetOf = (r: unknown) => targets.find((t) => expressionText(r) === t.resource);
      for (const grant of grants) {
        if (grant.resources.length === 0 || !grant.resources.every((r) => targetOf(r) !== undefined)) {
          out.push(
            finding(
              "iam",
              where,
              `grants ${action} on ${JSON.stringify(grant.resources)}; it must be only ${resources.join(" and ")}`,
            ),
          );
        }
        for (const target of grant.resources.map(targetOf)) {
          if (!target || target.conditional === grant.conditionalOn) continue;
          const on = targets.length > 1 ? ` on ${target.resource}` : "";
          const granted = grant.conditionalOn ? `under ${grant.conditionalOn}` : "unconditionally";
          out.push(
            finding(
              "iam",
              where,
              target.conditional
                ? `grants ${action}${on} ${granted}; it belongs only under ${target.conditional}`
                : `grants ${action}${on} only under ${grant.conditionalOn}; ${fn} needs it always`,
            ),
          );
        }
      }
      for (const resource of resources) {
        const covered = grants.some((g) => g.resources.some((r) => expressionText(r) === resource));
        if (!covered && resources.length > 1)
          out.push(finding("iam", where, `does not grant ${action} on ${resource}, which ${fn} needs`));
      }
    }
    for (const action of Object.keys(allowed)) {
      if (!granted.has(action))
        out.push(finding("iam", where, `does not grant ${action}, which ${fn} needs`));
    }
  }
  return out;
}

function checkLogs(stack: Stack): Finding[] {
  const out: Finding[] = [];
  for (const [name, call] of stack.root.moduleCalls) {
    const mod = calledModule(stack, stack.root, call);
    if (!mod?.resources.some((r) => r.type === "aws_lambda_function")) continue;
    const where = `${mod.dir} (module "${name}")`;
    const logs = statementsOf(mod).filter((s) => s.actions.some((a) => a.startsWith("logs:")));
    for (const s of logs) {
      const own =
        s.resources.length > 0 && s.resources.every((r) => mentions(r, "aws_cloudwatch_log_group.this.arn"));
      if (!own)
        out.push(
          finding(
            "iam",
            where,
            `${s.doc}: logs actions on ${JSON.stringify(s.resources)}, not only its own log group`,
          ),
        );
      const extra = s.actions.filter((a) => a !== "logs:CreateLogStream" && a !== "logs:PutLogEvents");
      if (extra.length > 0)
        out.push(finding("iam", where, `${s.doc}: logs actions beyond writing: ${extra.join(", ")}`));
    }
    const attached = mod.resources.some(
      (r) =>
        r.type === "aws_iam_role_policy" && mentions(r.body.policy, "data.aws_iam_policy_document.logs.json"),
    );
    if (logs.length === 0 || !attached)
      out.push(finding("iam", where, "the role gets no policy to write its own log group"));
  }
  return out;
}

function checkScheduler(stack: Stack): Finding[] {
  const out: Finding[] = [];
  for (const mod of stack.modules.values()) {
    if (!mod.resources.some((r) => r.type === "aws_scheduler_schedule")) continue;
    for (const s of statementsOf(mod).filter((st) => st.doc !== "assume")) {
      const onlyTarget =
        s.actions.every((a) => a === "lambda:InvokeFunction") &&
        s.resources.length === 1 &&
        mentions(s.resources[0], "var.target_function_arn");
      if (!onlyTarget)
        out.push(finding("iam", mod.dir, `${s.doc}: the scheduler role may do more than invoke its target`));
    }
  }
  return out;
}

/**
 * The root's `operator` policy document (output `operator_policy_json`) grants exactly
 * {@link operatorPrivilege}: every action it needs, each on exactly its resources, nothing else.
 */
export function checkOperatorPolicy(stack: Stack): Finding[] {
  const where = "root: data.aws_iam_policy_document.operator";
  const statements = statementsOf(stack.root, "operator").filter(isAllow);
  if (statements.length === 0) return [finding("iam", "root", "no operator policy document")];
  const granted = new Map<string, Set<string>>();
  for (const s of statements)
    for (const action of s.actions) {
      const set = granted.get(action) ?? new Set<string>();
      for (const r of s.resources) set.add(expressionText(r));
      granted.set(action, set);
    }
  const out: Finding[] = [];
  for (const [action, resources] of granted) {
    const rule = operatorPrivilege[action];
    if (!rule) {
      out.push(finding("iam", where, `grants ${action}, which the CLI does not call`));
      continue;
    }
    const want = new Set((isTargetList(rule) ? rule : [rule]).map((t) => t.resource));
    const same = resources.size === want.size && [...want].every((r) => resources.has(r));
    if (!same)
      out.push(
        finding(
          "iam",
          where,
          `grants ${action} on ${[...resources].join(", ")}; it must be exactly ${[...want].join(", ")}`,
        ),
      );
  }
  for (const action of Object.keys(operatorPrivilege))
    if (!granted.has(action)) out.push(finding("iam", where, `misses ${action}, which the CLI calls`));
  return out;
}
