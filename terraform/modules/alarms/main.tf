# What an on-call engineer watches: an SNS topic (optionally mailed), one CloudWatch alarm per failure
# signal, and a dashboard with the same figures plus the functions' own EMF metrics. Every alarm notifies
# the topic when it fires and when it clears; missing data (a function not invoked) counts as not breaching,
# except for the two queue-depth alarms, which keep their state (SQS stops publishing for an idle queue).

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.region

  functions = {
    main     = var.function_names.main
    consumer = var.function_names.consumer
    worker   = var.function_names.worker
  }

  # The consumer's Duration is in milliseconds; it alarms at the given fraction of its timeout.
  consumer_duration_threshold_ms = floor(var.consumer_timeout_seconds * 1000 * var.consumer_duration_ratio)

  # Emitted by the functions through Powertools Metrics (CloudWatch EMF), dimensions function and outcome.
  custom_metrics = [
    "JobsSubmitted",
    "TasksEnqueued",
    "TasksDispatched",
    "DuplicatesDropped",
    "ClaimsBusy",
    "InvokesThrottled",
    "InvokesFailed",
    "TasksSucceeded",
    "TasksFailedRetryPending",
    "TasksFailedFinal",
  ]
  custom_timings = ["TaskDuration", "EnqueueToStartLag"]
}

# --- the topic: encrypted with its own key (modules/topic), because CloudWatch alarms cannot publish to a
# topic under the AWS managed key alias/aws/sns (its key policy does not let cloudwatch.amazonaws.com use it,
# and it cannot be edited). See ADR 0103.

module "topic" {
  source = "../topic"

  name               = "${var.name_prefix}-alarms"
  key_alias          = "${var.name_prefix}-alarms"
  key_description    = "${var.name_prefix}: encrypts the alarm topic; CloudWatch alarms may use it"
  service_publishers = ["cloudwatch.amazonaws.com"]

  tags = var.tags
}

# The topic and its key lived in this module before modules/topic: moved, not replaced (a replaced topic
# would lose its email subscription's confirmation).
moved {
  from = aws_kms_key.alarms
  to   = module.topic.aws_kms_key.this
}

moved {
  from = aws_kms_alias.alarms
  to   = module.topic.aws_kms_alias.this
}

moved {
  from = aws_sns_topic.alarms
  to   = module.topic.aws_sns_topic.this
}

# Only this account's CloudWatch alarms may publish (confused-deputy protection).
data "aws_iam_policy_document" "topic" {
  statement {
    sid       = "CloudWatchAlarmsPublish"
    actions   = ["sns:Publish"]
    resources = [module.topic.topic_arn]

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:${data.aws_partition.current.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:${var.name_prefix}-*"]
    }
  }
}

resource "aws_sns_topic_policy" "alarms" {
  arn    = module.topic.topic_arn
  policy = data.aws_iam_policy_document.topic.json
}

resource "aws_sns_topic_subscription" "email" {
  count = var.alarm_email == null ? 0 : 1

  topic_arn = module.topic.topic_arn
  protocol  = "email"
  endpoint  = var.alarm_email
}

# --- alarms: one per failure signal, all alike but for what they read ---

locals {
  queue_alarms = {
    # Anything in the dead-letter queue is a malformed or repeatedly failing message (G5): look at it.
    dead_letter = {
      name        = "dead-letter-queue-not-empty"
      description = "Messages in ${var.dead_letter_queue_name}: malformed or repeatedly failing tasks. Read them before they expire (14 days)."
      metric      = "ApproximateNumberOfMessagesVisible"
      queue       = var.dead_letter_queue_name
      threshold   = 0
      # SQS stops publishing for a queue nobody touches; the alarm keeps its state instead of clearing.
      missing = "ignore"
    }
    # A task that failed after Lambda's retries, or whose event aged out, waits here to be redriven (G1).
    failed_tasks = {
      name        = "failed-tasks-queue-not-empty"
      description = "Messages in ${var.failed_tasks_queue_name}: tasks that failed after their retries or aged out, or a source job's enqueue step given up. Inspect, then redrive with pnpm fanout failed redrive."
      metric      = "ApproximateNumberOfMessagesVisible"
      queue       = var.failed_tasks_queue_name
      threshold   = 0
      missing     = "ignore"
    }
    # A batch of the table's stream the consumer's mapping gave up (its records expired unread): some tasks'
    # outcomes were never counted, and their jobs do not finish until a recount.
    stream_failures = {
      name        = "stream-failures-queue-not-empty"
      description = "Messages in ${var.stream_failures_queue_name}: task changes of the table's stream that were never counted (their jobs will not finish by themselves). See docs/decisions/0015-lean-task-path.md."
      metric      = "ApproximateNumberOfMessagesVisible"
      queue       = var.stream_failures_queue_name
      threshold   = 0
      missing     = "ignore"
    }
    # Tasks wait too long: the consumer is not running, throttled, or cannot keep up.
    oldest_task = {
      name        = "tasks-oldest-message-age"
      description = "The oldest message in ${var.tasks_queue_name} is older than ${var.oldest_message_age_seconds} s: the consumer is not draining the queue."
      metric      = "ApproximateAgeOfOldestMessage"
      queue       = var.tasks_queue_name
      threshold   = var.oldest_message_age_seconds
      missing     = "notBreaching"
    }
  }

  function_alarms = merge(
    # Not main: it refuses invalid jobs with a function error, which is the caller's mistake, not an
    # incident; main's own failures are the main_submit_failures alarm below.
    { for fn, name in local.functions : "${fn}_errors" => {
      name        = "${fn}-errors"
      description = "${name} returned more than ${var.errors_threshold} errors in ${var.period_seconds} s."
      metric      = "Errors"
      function    = name
      statistic   = "Sum"
      threshold   = var.errors_threshold
    } if fn != "main" },
    { for fn, name in local.functions : "${fn}_throttles" => {
      name        = "${fn}-throttles"
      description = "${name} was throttled more than ${var.throttles_threshold} times in ${var.period_seconds} s (reserved or account concurrency)."
      metric      = "Throttles"
      function    = name
      statistic   = "Sum"
      threshold   = var.throttles_threshold
      # Not the consumer: a run with a backlog lasts until its budget, so the next tick or nudge can meet
      # its reserved concurrency by design; a consumer falling behind is the oldest_task alarm.
    } if fn != "consumer" },
    {
      # A source job's enqueue step (main's own async event) that Lambda gave up: the rest of the job waits
      # in the failed-task queue for `fanout failed redrive` (issue 19).
      main_events_dropped = {
        name        = "main-async-events-dropped"
        description = "Lambda gave up an enqueue step of ${var.function_names.main} (aged out or out of retries): a source job is half-enqueued. Run fanout failed redrive."
        metric      = "AsyncEventsDropped"
        function    = var.function_names.main
        statistic   = "Sum"
        threshold   = 0
      }
      # A failed step that could not reach the failed-task queue: nothing is left to restart it from.
      main_destination_failures = {
        name        = "main-destination-delivery-failures"
        description = "Lambda could not deliver a failed enqueue step of ${var.function_names.main} to ${var.failed_tasks_queue_name}."
        metric      = "DestinationDeliveryFailures"
        function    = var.function_names.main
        statistic   = "Sum"
        threshold   = 0
      }
      # An asynchronous worker event Lambda dropped without running it (too old, or retries used up).
      worker_events_dropped = {
        name        = "worker-async-events-dropped"
        description = "Lambda dropped asynchronous events of ${var.function_names.worker} (aged out or out of retries)."
        metric      = "AsyncEventsDropped"
        function    = var.function_names.worker
        statistic   = "Sum"
        threshold   = 0
      }
      # A failed worker event that could not be delivered to the failed-task queue (permissions, KMS, deleted
      # queue): the one place where G1's "payload kept" would break.
      worker_destination_failures = {
        name        = "worker-destination-delivery-failures"
        description = "Lambda could not deliver failed events of ${var.function_names.worker} to ${var.failed_tasks_queue_name}."
        metric      = "DestinationDeliveryFailures"
        function    = var.function_names.worker
        statistic   = "Sum"
        threshold   = 0
      }
      # The consumer counts the table's stream late: its stream batches fail (they are retried until they
      # pass) or it is throttled. Jobs finish, and their counts move, that much later.
      consumer_iterator_age = {
        name        = "consumer-stream-iterator-age"
        description = "The consumer's task-change mapping is more than ${var.stream_iterator_age_seconds} s behind the table's stream: counts, completion and notices are that late."
        metric      = "IteratorAge"
        function    = var.function_names.consumer
        statistic   = "Maximum"
        threshold   = var.stream_iterator_age_seconds * 1000
      }
      # The consumer stops by itself a safety margin before its timeout; a run this long means it did not.
      consumer_duration = {
        name        = "consumer-duration-near-timeout"
        description = "A run of ${var.function_names.consumer} took over ${local.consumer_duration_threshold_ms} ms (${var.consumer_duration_ratio} of its ${var.consumer_timeout_seconds} s timeout)."
        metric      = "Duration"
        function    = var.function_names.consumer
        statistic   = "Maximum"
        threshold   = local.consumer_duration_threshold_ms
      }
    },
  )

  # One shape for every alarm, so that for_each sees a map of one object type.
  alarms = merge(
    {
      # Jobs main accepted but could not enqueue (its own failure, not the caller's): from its EMF metrics.
      main_submit_failures = {
        name        = "main-submit-failures"
        description = "${var.function_names.main} failed to enqueue a valid job (JobsSubmitted, outcome failed)."
        namespace   = var.metrics_namespace
        metric      = "JobsSubmitted"
        dimensions  = tomap({ function = "main", outcome = "failed" })
        statistic   = "Sum"
        threshold   = 0
        missing     = "notBreaching"
      }
      # An attempt of a source job's enqueue step failed (Lambda retries it; the dropped-events alarm fires
      # once it gives up): from main's EMF metrics, since main has no Errors alarm (refusals are errors).
      main_enqueue_step_failures = {
        name        = "main-enqueue-step-failures"
        description = "An enqueue step of ${var.function_names.main} failed (EnqueueSteps, outcome failed); Lambda retries it."
        namespace   = var.metrics_namespace
        metric      = "EnqueueSteps"
        dimensions  = tomap({ function = "main", outcome = "failed" })
        statistic   = "Sum"
        threshold   = 0
        missing     = "notBreaching"
      }
    },
    { for k, a in local.queue_alarms : k => {
      name        = a.name
      description = a.description
      namespace   = "AWS/SQS"
      metric      = a.metric
      dimensions  = tomap({ QueueName = a.queue })
      statistic   = "Maximum"
      threshold   = a.threshold
      missing     = a.missing
    } },
    { for k, a in local.function_alarms : k => {
      name        = a.name
      description = a.description
      namespace   = "AWS/Lambda"
      metric      = a.metric
      dimensions  = tomap({ FunctionName = a.function })
      statistic   = a.statistic
      threshold   = a.threshold
      missing     = "notBreaching"
    } },
  )
}

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each = local.alarms

  alarm_name        = "${var.name_prefix}-${each.value.name}"
  alarm_description = each.value.description

  namespace           = each.value.namespace
  metric_name         = each.value.metric
  dimensions          = each.value.dimensions
  statistic           = each.value.statistic
  period              = var.period_seconds
  evaluation_periods  = var.evaluation_periods
  comparison_operator = "GreaterThanThreshold"
  threshold           = each.value.threshold
  treat_missing_data  = each.value.missing

  alarm_actions = [module.topic.topic_arn]
  ok_actions    = [module.topic.topic_arn]

  tags = var.tags
}

# --- dashboard: the alarms' figures, then the functions' own metrics ---

locals {
  queue_metric = { for k, name in {
    tasks        = var.tasks_queue_name
    dead_letter  = var.dead_letter_queue_name
    failed_tasks = var.failed_tasks_queue_name
  } : k => ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", name] }

  lambda_widget = {
    for metric, stat in { Invocations = "Sum", Errors = "Sum", Throttles = "Sum", ConcurrentExecutions = "Maximum" } :
    metric => {
      type   = "metric"
      width  = 6
      height = 6
      properties = {
        title   = "Lambda ${metric}"
        region  = local.region
        view    = "timeSeries"
        stat    = stat
        period  = var.period_seconds
        metrics = [for fn, name in local.functions : ["AWS/Lambda", metric, "FunctionName", name, { label = fn }]]
      }
    }
  }

  # A search finds each metric under whatever dimensions the functions emit (function, outcome, service).
  custom_widgets = [
    for metric in concat(local.custom_metrics, local.custom_timings) : {
      type   = "metric"
      width  = 6
      height = 6
      properties = {
        title  = "${var.metrics_namespace} ${metric}"
        region = local.region
        view   = "timeSeries"
        period = var.period_seconds
        metrics = [[{
          id         = "search"
          label      = ""
          expression = "SEARCH('Namespace=\"${var.metrics_namespace}\" MetricName=\"${metric}\"', '${contains(local.custom_timings, metric) ? "p99" : "Sum"}', ${var.period_seconds})"
        }]]
      }
    }
  ]

  dashboard_widgets = concat(
    [
      {
        type   = "alarm"
        width  = 24
        height = 4
        properties = {
          title  = "Alarms"
          alarms = [for a in aws_cloudwatch_metric_alarm.this : a.arn]
        }
      },
      {
        type   = "metric"
        width  = 8
        height = 6
        properties = {
          title   = "Messages visible"
          region  = local.region
          view    = "timeSeries"
          stat    = "Maximum"
          period  = var.period_seconds
          metrics = [for k, m in local.queue_metric : concat(m, [{ label = k }])]
        }
      },
      {
        type   = "metric"
        width  = 8
        height = 6
        properties = {
          title   = "Oldest task (s)"
          region  = local.region
          view    = "timeSeries"
          stat    = "Maximum"
          period  = var.period_seconds
          metrics = [["AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", var.tasks_queue_name]]
          annotations = {
            horizontal = [{ label = "alarm", value = var.oldest_message_age_seconds }]
          }
        }
      },
      {
        type   = "metric"
        width  = 8
        height = 6
        properties = {
          title   = "Consumer duration, max (ms)"
          region  = local.region
          view    = "timeSeries"
          stat    = "Maximum"
          period  = var.period_seconds
          metrics = [["AWS/Lambda", "Duration", "FunctionName", var.function_names.consumer]]
          annotations = {
            horizontal = [
              { label = "alarm", value = local.consumer_duration_threshold_ms },
              { label = "timeout", value = var.consumer_timeout_seconds * 1000 },
            ]
          }
        }
      },
    ],
    values(local.lambda_widget),
    [
      {
        type   = "metric"
        width  = 12
        height = 6
        properties = {
          title  = "Worker asynchronous events"
          region = local.region
          view   = "timeSeries"
          stat   = "Sum"
          period = var.period_seconds
          metrics = [
            ["AWS/Lambda", "AsyncEventsReceived", "FunctionName", var.function_names.worker],
            ["AWS/Lambda", "AsyncEventsDropped", "FunctionName", var.function_names.worker],
            ["AWS/Lambda", "DestinationDeliveryFailures", "FunctionName", var.function_names.worker],
          ]
        }
      },
      {
        type   = "metric"
        width  = 12
        height = 6
        properties = {
          title   = "Worker event age, max (ms)"
          region  = local.region
          view    = "timeSeries"
          stat    = "Maximum"
          period  = var.period_seconds
          metrics = [["AWS/Lambda", "AsyncEventAge", "FunctionName", var.function_names.worker]]
        }
      },
    ],
    local.custom_widgets,
  )
}

resource "aws_cloudwatch_dashboard" "this" {
  dashboard_name = "${var.name_prefix}-overview"
  dashboard_body = jsonencode({ widgets = local.dashboard_widgets })
}
