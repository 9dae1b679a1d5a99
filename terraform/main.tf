# The fanout stack: tasks queue (+ dead-letter and failed-task queues), one table, the jobs topic, the
# job-source bucket, three functions from the zips `pnpm build` wrote, the consumer's schedule, and the alarms. Names follow resourceNames() in
# packages/tooling/src/settings.ts; environment variables follow the config schemas in packages/core/src/config.ts.

locals {
  names = {
    main     = "${var.name_prefix}-main"
    consumer = "${var.name_prefix}-consumer"
    worker   = "${var.name_prefix}-worker"
    schedule = "${var.name_prefix}-consumer"
  }

  # The ARNs of the functions that invoke themselves (main hands a long source job on, a consumer run
  # starts more runs), built from their names: a role policy naming module.<fn>.function_arn would wait for
  # the function, which waits for its role policies (a cycle).
  self_arns = {
    main     = "arn:${data.aws_partition.current.partition}:lambda:${var.aws_region}:${data.aws_caller_identity.current.account_id}:function:${local.names.main}"
    consumer = "arn:${data.aws_partition.current.partition}:lambda:${var.aws_region}:${data.aws_caller_identity.current.account_id}:function:${local.names.consumer}"
  }

  tags = merge(var.tags, {
    project     = "fanout"
    environment = var.environment
  })
}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

module "queue" {
  source = "./modules/queue"

  name_prefix                = var.name_prefix
  visibility_timeout_seconds = var.queue.visibility_timeout_seconds
  consumer_timeout_seconds   = var.functions.consumer.timeout_seconds
  message_retention_seconds  = var.queue.message_retention_seconds
  max_receive_count          = var.queue.max_receive_count
  tags                       = local.tags
}

module "table" {
  source = "./modules/table"

  name_prefix         = var.name_prefix
  deletion_protection = var.table.deletion_protection
  tags                = local.tags
}

# The SNS FIFO topic of the job.finished notices (ADR 0012); subscriptions are the users' own (README.md).
module "notifications" {
  source = "./modules/notifications"

  name_prefix = var.name_prefix
  tags        = local.tags
}

# The bucket of job sources ({"source": "s3://<bucket>/<key>"}), read by main; objects expire after
# input.expire_days.
module "input" {
  source = "./modules/input"

  name_prefix = var.name_prefix
  expire_days = var.input.expire_days
  tags        = local.tags
}

module "main" {
  source = "./modules/function"

  function_name        = local.names.main
  zip_path             = "${path.module}/../functions/main/dist/main.zip"
  handler              = "index.handler"
  runtime              = "nodejs24.x"
  architecture         = "arm64"
  memory_mb            = var.functions.main.memory_mb
  timeout_seconds      = var.functions.main.timeout_seconds
  reserved_concurrency = var.functions.main.reserved_concurrency
  log_retention_days   = var.log_retention_days
  tracing_enabled      = var.tracing.enabled

  environment = merge(
    {
      TASKS_QUEUE_URL              = module.queue.tasks_queue_url
      TABLE_NAME                   = module.table.table_name
      DEDUP_TTL_SECONDS            = tostring(var.dedup.ttl_seconds)
      MAX_TASKS_PER_JOB            = tostring(var.max_tasks_per_job)
      INPUT_BUCKET                 = module.input.bucket_name
      LOG_LEVEL                    = var.log_level
      POWERTOOLS_SERVICE_NAME      = local.names.main
      POWERTOOLS_METRICS_NAMESPACE = var.metrics.namespace
      POWERTOOLS_TRACE_ENABLED     = tostring(var.tracing.enabled)
    },
    var.main_nudges_consumer ? { CONSUMER_FUNCTION_NAME = local.names.consumer } : {},
  )

  policy_documents = merge(
    {
      queue    = data.aws_iam_policy_document.main_queue.json
      table    = data.aws_iam_policy_document.main_table.json
      source   = data.aws_iam_policy_document.main_source.json
      handover = data.aws_iam_policy_document.main_handover.json
    },
    var.main_nudges_consumer ? { nudge = data.aws_iam_policy_document.main_nudge.json } : {},
    var.tracing.enabled ? { tracing = data.aws_iam_policy_document.tracing.json } : {},
  )

  # Callers invoke main synchronously; its only asynchronous caller is main itself, handing a source job's
  # next enqueue step on. A lost step would strand the rest of the job, and a retried one is safe (one
  # step holds the job's enqueue lease; a step already committed only hands over again): retry (ADR 0013).
  # A step still failing after its retries, or aged out, goes to the failed-task queue with its event, where
  # the failed-tasks alarm sees it and `fanout failed redrive` restarts it (issue 19).
  async_invoke = {
    maximum_retry_attempts     = 2
    maximum_event_age_seconds  = 3600
    on_failure_destination_arn = module.queue.failed_tasks_queue_arn
  }

  # main hands the rest of a long source job on to itself; the chain ends with the source (ADR 0107).
  recursive_loop = "Allow"

  tags = local.tags
}

module "consumer" {
  source = "./modules/function"

  function_name        = local.names.consumer
  zip_path             = "${path.module}/../functions/consumer/dist/consumer.zip"
  handler              = "index.handler"
  runtime              = "nodejs24.x"
  architecture         = "arm64"
  memory_mb            = var.functions.consumer.memory_mb
  timeout_seconds      = var.functions.consumer.timeout_seconds
  reserved_concurrency = var.functions.consumer.reserved_concurrency
  log_retention_days   = var.log_retention_days
  tracing_enabled      = var.tracing.enabled

  environment = {
    TASKS_QUEUE_URL              = module.queue.tasks_queue_url
    TABLE_NAME                   = module.table.table_name
    WORKER_FUNCTION_NAME         = module.worker.function_name
    DEDUP_TTL_SECONDS            = tostring(var.dedup.ttl_seconds)
    CLAIM_LEASE_SECONDS          = tostring(var.dedup.claim_lease_seconds)
    POLLERS                      = tostring(var.consumer.pollers)
    DISPATCH_CONCURRENCY         = tostring(var.consumer.dispatch_concurrency)
    SAFETY_MARGIN_MS             = tostring(var.consumer.safety_margin_ms)
    RECEIVE_WAIT_SECONDS         = tostring(var.consumer.receive_wait_seconds)
    CONSUMER_MAX_PARALLEL        = tostring(var.consumer.max_parallel)
    SCALE_OUT_BACKLOG            = tostring(var.consumer.scale_out_backlog)
    JOBS_TOPIC_ARN               = module.notifications.topic_arn
    LOG_LEVEL                    = var.log_level
    POWERTOOLS_SERVICE_NAME      = local.names.consumer
    POWERTOOLS_METRICS_NAMESPACE = var.metrics.namespace
    POWERTOOLS_TRACE_ENABLED     = tostring(var.tracing.enabled)
  }

  policy_documents = merge(
    {
      queue     = data.aws_iam_policy_document.consumer_queue.json
      table     = data.aws_iam_policy_document.consumer_table.json
      dispatch  = data.aws_iam_policy_document.consumer_dispatch.json
      notices   = data.aws_iam_policy_document.publish_notices.json
      scale_out = data.aws_iam_policy_document.consumer_scale_out.json
      stream    = data.aws_iam_policy_document.consumer_stream.json
    },
    var.tracing.enabled ? { tracing = data.aws_iam_policy_document.tracing.json } : {},
  )

  # Invoked by the schedule, by main's nudge and by its own runs (scale-out). A lost run is covered by the
  # next tick, and a retried run would only overlap the next one: no retries, no stale runs.
  async_invoke = {
    maximum_retry_attempts    = 0
    maximum_event_age_seconds = 60
  }

  # A run starts more runs; the table's max_parallel run slots bound them (ADR 0107). No reserved
  # concurrency is needed for that cap (functions.consumer.reserved_concurrency stays as set).
  recursive_loop = "Allow"

  tags = local.tags
}

module "worker" {
  source = "./modules/function"

  function_name        = local.names.worker
  zip_path             = "${path.module}/../functions/worker/dist/worker.zip"
  handler              = "index.handler"
  runtime              = "nodejs24.x"
  architecture         = "arm64"
  memory_mb            = var.functions.worker.memory_mb
  timeout_seconds      = var.functions.worker.timeout_seconds
  reserved_concurrency = var.functions.worker.reserved_concurrency
  log_retention_days   = var.log_retention_days
  tracing_enabled      = var.tracing.enabled

  environment = {
    TABLE_NAME                   = module.table.table_name
    DEDUP_TTL_SECONDS            = tostring(var.dedup.ttl_seconds)
    RUN_LEASE_SECONDS            = tostring(var.functions.worker.timeout_seconds + 30)
    MAX_RETRY_ATTEMPTS           = tostring(var.worker_async.maximum_retry_attempts)
    MAX_EVENT_AGE_SECONDS        = tostring(var.worker_async.maximum_event_age_seconds)
    RESULT_MAX_BYTES             = tostring(var.max_result_bytes)
    LOG_LEVEL                    = var.log_level
    POWERTOOLS_SERVICE_NAME      = local.names.worker
    POWERTOOLS_METRICS_NAMESPACE = var.metrics.namespace
    POWERTOOLS_TRACE_ENABLED     = tostring(var.tracing.enabled)
  }

  policy_documents = merge(
    {
      table   = data.aws_iam_policy_document.worker_table.json
      failure = data.aws_iam_policy_document.worker_failure.json
    },
    var.tracing.enabled ? { tracing = data.aws_iam_policy_document.tracing.json } : {},
  )

  # Lambda retries a failed task, then sends its event to the failed-task queue (G1: nothing silently lost).
  async_invoke = {
    maximum_retry_attempts     = var.worker_async.maximum_retry_attempts
    maximum_event_age_seconds  = var.worker_async.maximum_event_age_seconds
    on_failure_destination_arn = module.queue.failed_tasks_queue_arn
  }

  tags = local.tags
}

# The table's task changes, counted by the consumer (ADR 0015, decision 2): the same mapping as dedup's
# taskStreamMapping (infra-check compares them). Retried without limit and without bisection, so a task's
# changes are counted in order; a batch is given up only when its records expire (the failures queue).
resource "aws_lambda_event_source_mapping" "task_changes" {
  event_source_arn  = module.table.stream_arn
  function_name     = module.consumer.function_arn
  starting_position = "TRIM_HORIZON"

  batch_size                         = 1000
  maximum_batching_window_in_seconds = 2
  maximum_retry_attempts             = -1
  maximum_record_age_in_seconds      = -1
  bisect_batch_on_function_error     = false
  parallelization_factor             = 1
  function_response_types            = ["ReportBatchItemFailures"]

  filter_criteria {
    filter {
      # Commas between entries: infra-check reads this back as JSON and compares it with dedup's filter.
      pattern = jsonencode({
        dynamodb = {
          Keys     = { pk = { S = [{ prefix = "TASK#" }] } },
          NewImage = { status = { S = ["SUCCEEDED", "FAILED", "CANCELLED", "REQUEUED"] } },
        }
      })
    }
  }

  destination_config {
    on_failure {
      destination_arn = module.queue.stream_failures_queue_arn
    }
  }

  # Created once the consumer's new code is in place: an older consumer would answer a batch as a drain run
  # and the mapping would move past it uncounted. From TRIM_HORIZON, the changes new workers made before the
  # mapping existed are still counted (the stream keeps 24 h); an older worker's own counts are the same sets.
  depends_on = [module.consumer]

  tags = local.tags
}

module "schedule" {
  source = "./modules/schedule"

  name                = local.names.schedule
  schedule_expression = var.schedule_expression
  target_function_arn = module.consumer.function_arn
  tags                = local.tags
}

module "alarms" {
  source = "./modules/alarms"
  count  = var.alarms.enabled ? 1 : 0

  name_prefix = var.name_prefix
  alarm_email = var.alarms.email

  function_names = {
    main     = module.main.function_name
    consumer = module.consumer.function_name
    worker   = module.worker.function_name
  }
  tasks_queue_name           = module.queue.tasks_queue_name
  dead_letter_queue_name     = module.queue.dead_letter_queue_name
  failed_tasks_queue_name    = module.queue.failed_tasks_queue_name
  stream_failures_queue_name = module.queue.stream_failures_queue_name
  consumer_timeout_seconds   = var.functions.consumer.timeout_seconds
  metrics_namespace          = var.metrics.namespace

  period_seconds             = var.alarms.period_seconds
  evaluation_periods         = var.alarms.evaluation_periods
  oldest_message_age_seconds = var.alarms.oldest_message_age_seconds
  errors_threshold           = var.alarms.errors_threshold
  throttles_threshold        = var.alarms.throttles_threshold
  consumer_duration_ratio    = var.alarms.consumer_duration_ratio

  tags = local.tags
}
