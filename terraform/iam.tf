# Least-privilege permissions of each function, one policy document per concern (docs/contracts.md).
# Logs are granted by the function module: each function writes only to its own log group.
# No statement here uses a "*" action or a "*" resource: every action below supports resource-level
# permissions. (If one without them is ever needed, e.g. xray:PutTraceSegments, give it its own statement
# with a comment naming the action; packages/infra-check allows "*" only for such actions.)

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
    sid       = "ClaimTasks"
    actions   = ["dynamodb:UpdateItem", "dynamodb:DeleteItem"]
    resources = [module.table.table_arn]
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
    sid       = "RecordOutcome"
    actions   = ["dynamodb:UpdateItem"]
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
