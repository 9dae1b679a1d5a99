# Tasks queue, its dead-letter queue (redrive after max_receive_count receives) and the failed-task queue
# that the worker's asynchronous invocations land in after their last retry.

locals {
  # A message moved to a dead-letter queue keeps its original enqueue time, so dead-letter and failed-task
  # queues keep the maximum retention or they would drop a message early.
  maximum_retention_seconds = 1209600
}

resource "aws_sqs_queue" "tasks" {
  name                       = "${var.name_prefix}-tasks"
  visibility_timeout_seconds = var.visibility_timeout_seconds
  message_retention_seconds  = var.message_retention_seconds
  max_message_size           = 1048576
  receive_wait_time_seconds  = 0
  sqs_managed_sse_enabled    = true

  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dead_letter.arn
    maxReceiveCount     = var.max_receive_count
  })

  tags = merge(var.tags, { "fanout:queue" = "tasks" })
}

resource "aws_sqs_queue" "dead_letter" {
  name                      = "${var.name_prefix}-tasks-dlq"
  message_retention_seconds = local.maximum_retention_seconds
  # As large as the tasks it receives: at the provider's 256 KiB default, SQS could not move a larger task.
  max_message_size        = 1048576
  sqs_managed_sse_enabled = true

  tags = merge(var.tags, { "fanout:queue" = "dead-letter" })
}

# Only the tasks queue may use the dead-letter queue as its redrive target.
resource "aws_sqs_queue_redrive_allow_policy" "dead_letter" {
  queue_url = aws_sqs_queue.dead_letter.id

  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.tasks.arn]
  })
}

resource "aws_sqs_queue" "failed_tasks" {
  name                       = "${var.name_prefix}-failed-tasks"
  message_retention_seconds  = local.maximum_retention_seconds
  visibility_timeout_seconds = 30
  max_message_size           = 1048576
  sqs_managed_sse_enabled    = true

  tags = merge(var.tags, { "fanout:queue" = "failed-tasks" })
}

# Where the consumer's task-change mapping records a batch of the table's stream it gave up on (its position,
# not its records): only when records expired unread (24 h of a failing consumer), since retries are
# unlimited. The repair is a recount of the job from its task records; the alarms module watches the depth.
resource "aws_sqs_queue" "stream_failures" {
  name                      = "${var.name_prefix}-stream-failures"
  message_retention_seconds = local.maximum_retention_seconds
  max_message_size          = 1048576
  sqs_managed_sse_enabled   = true

  tags = merge(var.tags, { "fanout:queue" = "stream-failures" })
}
