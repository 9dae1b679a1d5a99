# Least-privilege permissions of each function, one policy document per concern (docs/contracts.md).
# Logs are granted by the function module: each function writes only to its own log group.
# No statement here uses a "*" action, and only the X-Ray statement a "*" resource: every other action
# below supports resource-level permissions (packages/infra-check allows "*" only for actions without
# them, each with a comment naming the action).

# --- main: records the job, enqueues its tasks, optionally nudges the consumer ---

data "aws_iam_policy_document" "main_queue" {
  statement {
    sid       = "EnqueueTasks"
    actions   = ["sqs:SendMessage"]
    resources = [module.queue.tasks_queue_arn]
  }
}

data "aws_iam_policy_document" "main_table" {
  statement {
    sid       = "RecordJob"
    actions   = ["dynamodb:PutItem"]
    resources = [module.table.table_arn]
  }
}

data "aws_iam_policy_document" "main_nudge" {
  statement {
    sid       = "NudgeConsumer"
    actions   = ["lambda:InvokeFunction"]
    resources = [module.consumer.function_arn]
  }
}

# --- consumer: drains the tasks queue, claims tasks, invokes the worker ---

data "aws_iam_policy_document" "consumer_queue" {
  statement {
    sid = "DrainTasks"
    # SendMessage: a valid task not handed on now goes back as a fresh, delayed copy (ADR 0008).
    actions = [
      "sqs:ReceiveMessage",
      "sqs:DeleteMessage",
      "sqs:ChangeMessageVisibility",
      "sqs:SendMessage",
    ]
    resources = [module.queue.tasks_queue_arn]
  }
}

data "aws_iam_policy_document" "consumer_table" {
  statement {
    sid = "ClaimTasks"
    # GetItem: the job records of the tasks it receives (cancelled? capped?), read once per run per job;
    # BatchGetItem: a capped job's slots, and the counter shards of a job a dropped task finishes.
    actions   = ["dynamodb:UpdateItem", "dynamodb:GetItem", "dynamodb:BatchGetItem"]
    resources = [module.table.table_arn]
  }

  statement {
    sid = "SweepDueNotices"
    # Finished jobs whose job.finished notice a crash left unpublished: the sparse jobs-to-notify index only.
    actions   = ["dynamodb:Query"]
    resources = [module.table.jobs_to_notify_index_arn]
  }
}

data "aws_iam_policy_document" "consumer_dispatch" {
  statement {
    sid       = "InvokeWorker"
    actions   = ["lambda:InvokeFunction"]
    resources = [module.worker.function_arn]
  }
}

# --- worker: runs a task and records its outcome; Lambda sends failed events to the failed-task queue ---

data "aws_iam_policy_document" "worker_table" {
  statement {
    sid = "RecordOutcome"
    # GetItem: the job record before a run (cancelled? capped?); BatchGetItem: a capped job's slots, and the
    # counter shards of a job this run finishes.
    actions = [
      "dynamodb:UpdateItem",
      "dynamodb:GetItem",
      "dynamodb:BatchGetItem",
    ]
    resources = [module.table.table_arn]
  }
}

data "aws_iam_policy_document" "worker_failure" {
  statement {
    sid       = "OnFailureDestination"
    actions   = ["sqs:SendMessage"]
    resources = [module.queue.failed_tasks_queue_arn]
  }
}

# --- worker and consumer: publish a job's job.finished notice to the jobs topic (ADR 0012) ---

data "aws_iam_policy_document" "publish_notices" {
  statement {
    sid       = "PublishNotices"
    actions   = ["sns:Publish"]
    resources = [module.notifications.topic_arn]
  }

  statement {
    sid = "EncryptNotices"
    # The topic is encrypted with its own key: SNS uses it on the publisher's behalf.
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = [module.notifications.kms_key_arn]
  }
}

# --- every function, only when tracing.enabled: X-Ray active tracing (ADR 0103) ---

data "aws_iam_policy_document" "tracing" {
  statement {
    sid     = "XRayActiveTracing"
    actions = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    # xray:PutTraceSegments and xray:PutTelemetryRecords have no resource-level permissions: "*" is the
    # only resource they accept (the AWSXRayDaemonWriteAccess managed policy grants them the same way).
    resources = ["*"]
  }
}
