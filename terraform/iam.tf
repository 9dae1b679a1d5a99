# Least-privilege permissions of each function, one policy document per concern (docs/contracts.md).
# Logs are granted by the function module: each function writes only to its own log group.
# No statement here uses a "*" action, and only the X-Ray statement a "*" resource: every other action
# below supports resource-level permissions (packages/infra-check allows "*" only for actions without
# them, each with a comment naming the action).

# --- main: records the job, enqueues its tasks (from a source in the input bucket too), optionally nudges
# the consumer ---

data "aws_iam_policy_document" "main_queue" {
  statement {
    sid       = "EnqueueTasks"
    actions   = ["sqs:SendMessage"]
    resources = [module.queue.tasks_queue_arn]
  }

  statement {
    sid = "OnFailureDestination"
    # Used by Lambda: a source job's enqueue step that failed its retries goes to the failed-task queue.
    actions   = ["sqs:SendMessage"]
    resources = [module.queue.failed_tasks_queue_arn]
  }
}

data "aws_iam_policy_document" "main_table" {
  statement {
    sid       = "RecordJob"
    actions   = ["dynamodb:PutItem"]
    resources = [module.table.table_arn]
  }

  statement {
    sid = "EnqueueInSteps"
    # A source job is enqueued in leased steps recorded on its job record (ADR 0013): UpdateItem takes,
    # commits, releases and hands over a step; GetItem reads the record (consistently) on a resubmission.
    actions   = ["dynamodb:UpdateItem", "dynamodb:GetItem"]
    resources = [module.table.table_arn]
  }
}

data "aws_iam_policy_document" "main_source" {
  statement {
    sid = "ReadJobSources"
    # Objects only: no s3:ListBucket, so a missing key answers 403 AccessDenied rather than 404 NoSuchKey.
    actions   = ["s3:GetObject"]
    resources = ["${module.input.bucket_arn}/*"]
  }
}

data "aws_iam_policy_document" "main_handover" {
  statement {
    sid = "HandOverToItself"
    # A source job longer than one run: main invokes itself (Event) with where it stopped. The ARN is
    # built from the name (main.tf, local.self_arns), since module.main's own output would be a cycle.
    actions   = ["lambda:InvokeFunction"]
    resources = [local.self_arns.main]
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

  statement {
    sid = "ReadBacklog"
    # The visible messages of the tasks queue decide whether a run starts more runs (scale-out).
    actions   = ["sqs:GetQueueAttributes"]
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

data "aws_iam_policy_document" "consumer_stream" {
  statement {
    sid = "ReadTaskChanges"
    # The event source mapping reads the table's stream with the consumer's role. Every stream of the table
    # (stream/*, as AWS's example grants it): a stream turned off and on again gets a new label.
    actions = [
      "dynamodb:DescribeStream",
      "dynamodb:GetRecords",
      "dynamodb:GetShardIterator",
      "dynamodb:ListStreams",
    ]
    resources = ["${module.table.table_arn}/stream/*"]
  }

  statement {
    sid = "RecordGivenUpBatches"
    # The mapping's on-failure destination, also written with the consumer's role.
    actions   = ["sqs:SendMessage"]
    resources = [module.queue.stream_failures_queue_arn]
  }
}

data "aws_iam_policy_document" "consumer_dispatch" {
  statement {
    sid       = "InvokeWorker"
    actions   = ["lambda:InvokeFunction"]
    resources = [module.worker.function_arn]
  }
}

data "aws_iam_policy_document" "consumer_scale_out" {
  statement {
    sid = "StartMoreRuns"
    # A run with a large backlog invokes the consumer (Event), up to consumer.max_parallel runs at once
    # (run slots in the table). Built from the name, like main's handover.
    actions   = ["lambda:InvokeFunction"]
    resources = [local.self_arns.consumer]
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

# --- the operator: the person running `pnpm fanout` (output operator_policy_json; infra-check holds it to
# operatorPrivilege, and the CLI's e2e test operator-policy.test.ts to the calls its commands make) ---

data "aws_iam_policy_document" "operator" {
  statement {
    sid = "InvokeFunctions"
    # submit (main), invoke (any function), failed redrive (nudges the consumer, restarts main's steps).
    actions   = ["lambda:InvokeFunction"]
    resources = [module.main.function_arn, module.consumer.function_arn, module.worker.function_arn]
  }

  statement {
    sid       = "ReadReservations"
    actions   = ["lambda:GetFunctionConcurrency"]
    resources = [module.main.function_arn, module.consumer.function_arn, module.worker.function_arn]
  }

  statement {
    sid = "ReadAccountLimit"
    # fanout doctor: lambda:GetAccountSettings has no resource-level permission, so "*".
    actions   = ["lambda:GetAccountSettings"]
    resources = ["*"]
  }

  statement {
    sid = "ReadAndSteerJobs"
    # status, results, cancel, failed redrive (a task's and its job's records, the requeue, the resettle).
    actions   = ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:UpdateItem"]
    resources = [module.table.table_arn]
  }

  statement {
    sid       = "ListJobs"
    actions   = ["dynamodb:Query"]
    resources = ["${module.table.table_arn}/index/jobs-by-created"]
  }

  statement {
    sid = "ManageFailedTasks"
    # failed list/redrive read the failed-task and dead-letter queues and give back what they keep.
    actions = [
      "sqs:GetQueueUrl",
      "sqs:ReceiveMessage",
      "sqs:ChangeMessageVisibility",
      "sqs:DeleteMessage",
      "sqs:GetQueueAttributes",
    ]
    resources = [module.queue.failed_tasks_queue_arn, module.queue.dead_letter_queue_arn]
  }

  statement {
    sid       = "SendTasksBack"
    actions   = ["sqs:GetQueueUrl", "sqs:SendMessage"]
    resources = [module.queue.tasks_queue_arn]
  }

  statement {
    sid = "UploadJobSources"
    # submit of a file: uploaded to the input bucket (HeadObject is authorised by s3:GetObject).
    actions   = ["s3:PutObject", "s3:GetObject"]
    resources = ["${module.input.bucket_arn}/*"]
  }

  statement {
    sid = "ReadMetrics"
    # fanout metrics on AWS: cloudwatch:GetMetricData has no resource-level permission, so "*".
    actions   = ["cloudwatch:GetMetricData"]
    resources = ["*"]
  }
}
