# Root variables are exactly the keys of environments/<env>.tfvars.json, the settings file that the local
# stack also reads (settingsSchema in packages/tooling/src/settings.ts). Each range below is the one that
# schema enforces, and each cross-setting invariant of its superRefine is a validation block here; the
# tests in packages/infra-check keep the two in step.

variable "name_prefix" {
  description = "Prefix of every resource name (<prefix>-main, <prefix>-tasks, <prefix>-dedup, ...): 3-32 characters of a-z, 0-9 and -, starting with a letter."
  type        = string
  default     = "fanout"
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 3-32 characters of a-z, 0-9 and -, starting with a letter and not ending with -."
  }
}

variable "environment" {
  description = "Environment name (dev, staging, prod, ...); tagged on every resource."
  type        = string
  default     = "dev"
  nullable    = false

  validation {
    condition     = length(var.environment) >= 1
    error_message = "environment must not be empty."
  }
}

variable "aws_region" {
  description = "AWS region to deploy to, e.g. us-east-1."
  type        = string
  default     = "us-east-1"
  nullable    = false

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-\\d$", var.aws_region))
    error_message = "aws_region must look like us-east-1."
  }
}

variable "tags" {
  description = "Tags applied to every taggable resource (with project and environment added)."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "schedule_expression" {
  description = "How often EventBridge Scheduler runs the consumer: rate(1 minute|hour|day), rate(<n > 1> minutes|hours|days) or cron(<6 fields>). The finest rate is 1 minute."
  type        = string
  default     = "rate(1 minute)"
  nullable    = false

  validation {
    condition     = can(regex("^(rate\\((1 (minute|hour|day)|([2-9]|[1-9][0-9]+) (minutes|hours|days))\\)|cron\\(\\S+( \\S+){5}\\))$", var.schedule_expression))
    error_message = "schedule_expression must be rate(1 minute|hour|day), rate(<n > 1> minutes|hours|days) or cron(<6 fields>)."
  }
}

variable "log_retention_days" {
  description = "Retention of each function's log group in days: 1 or more, and one of the values CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)."
  type        = number
  default     = 14
  nullable    = false

  validation {
    condition     = var.log_retention_days >= 1 && floor(var.log_retention_days) == var.log_retention_days
    error_message = "log_retention_days must be a whole number of at least 1."
  }

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a retention CloudWatch Logs accepts: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

variable "log_level" {
  description = "LOG_LEVEL of every function: DEBUG, INFO, WARN or ERROR."
  type        = string
  default     = "INFO"
  nullable    = false

  validation {
    condition     = contains(["DEBUG", "INFO", "WARN", "ERROR"], var.log_level)
    error_message = "log_level must be DEBUG, INFO, WARN or ERROR."
  }
}

variable "queue" {
  description = "Tasks queue: visibility_timeout_seconds 0-43200 and at least the consumer timeout; message_retention_seconds 60-1209600; max_receive_count 1-1000 receives before the dead-letter queue."
  type = object({
    visibility_timeout_seconds = optional(number, 120)
    message_retention_seconds  = optional(number, 345600)
    max_receive_count          = optional(number, 5)
  })
  default  = {}
  nullable = false

  validation {
    condition     = var.queue.visibility_timeout_seconds >= 0 && var.queue.visibility_timeout_seconds <= 43200 && floor(var.queue.visibility_timeout_seconds) == var.queue.visibility_timeout_seconds
    error_message = "queue.visibility_timeout_seconds must be a whole number from 0 to 43200."
  }

  validation {
    condition     = var.queue.message_retention_seconds >= 60 && var.queue.message_retention_seconds <= 1209600 && floor(var.queue.message_retention_seconds) == var.queue.message_retention_seconds
    error_message = "queue.message_retention_seconds must be a whole number from 60 to 1209600."
  }

  validation {
    condition     = var.queue.max_receive_count >= 1 && var.queue.max_receive_count <= 1000 && floor(var.queue.max_receive_count) == var.queue.max_receive_count
    error_message = "queue.max_receive_count must be a whole number from 1 to 1000."
  }

  # Invariant (settings.ts superRefine): a message still being handled must not reappear.
  validation {
    condition     = var.queue.visibility_timeout_seconds >= var.functions.consumer.timeout_seconds
    error_message = "queue.visibility_timeout_seconds must be at least functions.consumer.timeout_seconds, or a message still being handled reappears."
  }
}

variable "dedup" {
  description = "Dedup records: ttl_seconds of at least 60 and longer than message retention + maximum event age; claim_lease_seconds 5-900 and at most the visibility timeout."
  type = object({
    ttl_seconds         = optional(number, 1296000)
    claim_lease_seconds = optional(number, 60)
  })
  default  = {}
  nullable = false

  validation {
    condition     = var.dedup.ttl_seconds >= 60 && floor(var.dedup.ttl_seconds) == var.dedup.ttl_seconds
    error_message = "dedup.ttl_seconds must be a whole number of at least 60."
  }

  validation {
    condition     = var.dedup.claim_lease_seconds >= 5 && var.dedup.claim_lease_seconds <= 900 && floor(var.dedup.claim_lease_seconds) == var.dedup.claim_lease_seconds
    error_message = "dedup.claim_lease_seconds must be a whole number from 5 to 900."
  }

  # Invariant (settings.ts superRefine): a redelivered message must not meet a live claim.
  validation {
    condition     = var.dedup.claim_lease_seconds <= var.queue.visibility_timeout_seconds
    error_message = "dedup.claim_lease_seconds must not exceed queue.visibility_timeout_seconds, or a redelivered message meets a live claim."
  }

  # Invariant (settings.ts superRefine): no redelivery outlives its dedup record.
  validation {
    condition     = var.dedup.ttl_seconds > var.queue.message_retention_seconds + var.worker_async.maximum_event_age_seconds
    error_message = "dedup.ttl_seconds must exceed queue.message_retention_seconds + worker_async.maximum_event_age_seconds, so no redelivery outlives its dedup record."
  }
}

variable "functions" {
  description = "Per function (main, consumer, worker): memory_mb 128-10240 (the consumer defaults to 1769, one full vCPU, as its drain loop is CPU-bound: ADR 0006), timeout_seconds 1-900, reserved_concurrency null (unreserved) or 0 and more."
  type = object({
    main = optional(object({
      memory_mb            = optional(number, 256)
      timeout_seconds      = optional(number, 60)
      reserved_concurrency = optional(number)
    }), {})
    consumer = optional(object({
      memory_mb            = optional(number, 1769)
      timeout_seconds      = optional(number, 60)
      reserved_concurrency = optional(number)
    }), {})
    worker = optional(object({
      memory_mb            = optional(number, 256)
      timeout_seconds      = optional(number, 60)
      reserved_concurrency = optional(number)
    }), {})
  })
  default  = {}
  nullable = false

  validation {
    condition     = alltrue([for f in [var.functions.main, var.functions.consumer, var.functions.worker] : f.memory_mb >= 128 && f.memory_mb <= 10240 && floor(f.memory_mb) == f.memory_mb])
    error_message = "functions.*.memory_mb must be a whole number from 128 to 10240."
  }

  validation {
    condition     = alltrue([for f in [var.functions.main, var.functions.consumer, var.functions.worker] : f.timeout_seconds >= 1 && f.timeout_seconds <= 900 && floor(f.timeout_seconds) == f.timeout_seconds])
    error_message = "functions.*.timeout_seconds must be a whole number from 1 to 900."
  }

  validation {
    condition     = alltrue([for f in [var.functions.main, var.functions.consumer, var.functions.worker] : f.reserved_concurrency == null ? true : f.reserved_concurrency >= 0 && floor(f.reserved_concurrency) == f.reserved_concurrency])
    error_message = "functions.*.reserved_concurrency must be null or a whole number of at least 0."
  }
}

variable "consumer" {
  description = "Consumer loop: pollers 1-32, dispatch_concurrency 1-512, safety_margin_ms of at least 500 and shorter than the consumer timeout, receive_wait_seconds 0-20; scale-out: max_parallel 1-100 runs at once (CONSUMER_MAX_PARALLEL, run slots held in the table, so no reserved concurrency is needed for the cap), scale_out_backlog 10-1000000 visible messages per run before a run starts another (SCALE_OUT_BACKLOG)."
  type = object({
    pollers              = optional(number, 4)
    dispatch_concurrency = optional(number, 32)
    safety_margin_ms     = optional(number, 5000)
    receive_wait_seconds = optional(number, 2)
    max_parallel         = optional(number, 4)
    scale_out_backlog    = optional(number, 1000)
  })
  default  = {}
  nullable = false

  validation {
    condition     = var.consumer.pollers >= 1 && var.consumer.pollers <= 32 && floor(var.consumer.pollers) == var.consumer.pollers
    error_message = "consumer.pollers must be a whole number from 1 to 32."
  }

  validation {
    condition     = var.consumer.dispatch_concurrency >= 1 && var.consumer.dispatch_concurrency <= 512 && floor(var.consumer.dispatch_concurrency) == var.consumer.dispatch_concurrency
    error_message = "consumer.dispatch_concurrency must be a whole number from 1 to 512."
  }

  validation {
    condition     = var.consumer.safety_margin_ms >= 500 && floor(var.consumer.safety_margin_ms) == var.consumer.safety_margin_ms
    error_message = "consumer.safety_margin_ms must be a whole number of at least 500."
  }

  validation {
    condition     = var.consumer.receive_wait_seconds >= 0 && var.consumer.receive_wait_seconds <= 20 && floor(var.consumer.receive_wait_seconds) == var.consumer.receive_wait_seconds
    error_message = "consumer.receive_wait_seconds must be a whole number from 0 to 20."
  }

  validation {
    condition     = var.consumer.max_parallel >= 1 && var.consumer.max_parallel <= 100 && floor(var.consumer.max_parallel) == var.consumer.max_parallel
    error_message = "consumer.max_parallel must be a whole number from 1 to 100."
  }

  validation {
    condition     = var.consumer.scale_out_backlog >= 10 && var.consumer.scale_out_backlog <= 1000000 && floor(var.consumer.scale_out_backlog) == var.consumer.scale_out_backlog
    error_message = "consumer.scale_out_backlog must be a whole number from 10 to 1000000."
  }

  # Invariant (settings.ts superRefine): the consumer stops before its timeout.
  validation {
    condition     = var.consumer.safety_margin_ms < var.functions.consumer.timeout_seconds * 1000
    error_message = "consumer.safety_margin_ms must be shorter than the consumer timeout (functions.consumer.timeout_seconds)."
  }
}

variable "worker_async" {
  description = "The worker's asynchronous invocation: maximum_retry_attempts 0-2, maximum_event_age_seconds 60-21600; after that the event goes to the failed-task queue."
  type = object({
    maximum_retry_attempts    = optional(number, 2)
    maximum_event_age_seconds = optional(number, 3600)
  })
  default  = {}
  nullable = false

  validation {
    condition     = var.worker_async.maximum_retry_attempts >= 0 && var.worker_async.maximum_retry_attempts <= 2 && floor(var.worker_async.maximum_retry_attempts) == var.worker_async.maximum_retry_attempts
    error_message = "worker_async.maximum_retry_attempts must be 0, 1 or 2."
  }

  validation {
    condition     = var.worker_async.maximum_event_age_seconds >= 60 && var.worker_async.maximum_event_age_seconds <= 21600 && floor(var.worker_async.maximum_event_age_seconds) == var.worker_async.maximum_event_age_seconds
    error_message = "worker_async.maximum_event_age_seconds must be a whole number from 60 to 21600."
  }
}

variable "main_nudges_consumer" {
  description = "Whether main invokes the consumer asynchronously after enqueueing (start within seconds instead of at the next schedule tick). Adds CONSUMER_FUNCTION_NAME and lambda:InvokeFunction on the consumer to main."
  type        = bool
  default     = true
  nullable    = false
}

variable "max_tasks_per_job" {
  description = "Most tasks one job may have (MAX_TASKS_PER_JOB), 1-100000."
  type        = number
  default     = 10000
  nullable    = false

  validation {
    condition     = var.max_tasks_per_job >= 1 && var.max_tasks_per_job <= 100000 && floor(var.max_tasks_per_job) == var.max_tasks_per_job
    error_message = "max_tasks_per_job must be a whole number from 1 to 100000."
  }
}

variable "input" {
  description = "The job-source bucket (modules/input, INPUT_BUCKET of main): expire_days 1-3650, the days after upload at which S3 deletes a source."
  type = object({
    expire_days = optional(number, 7)
  })
  default  = {}
  nullable = false

  validation {
    condition     = var.input.expire_days >= 1 && var.input.expire_days <= 3650 && floor(var.input.expire_days) == var.input.expire_days
    error_message = "input.expire_days must be a whole number from 1 to 3650."
  }
}

variable "max_result_bytes" {
  description = "Largest result a task may return, in UTF-8 bytes of its JSON (RESULT_MAX_BYTES), 1-358400: it is stored in the task record, which must stay under DynamoDB's 400 KB; a larger result fails the task."
  type        = number
  default     = 65536
  nullable    = false

  validation {
    condition     = var.max_result_bytes >= 1 && var.max_result_bytes <= 358400 && floor(var.max_result_bytes) == var.max_result_bytes
    error_message = "max_result_bytes must be a whole number from 1 to 358400."
  }
}

variable "table" {
  description = "The table: deletion_protection makes DynamoDB refuse to delete it (and the point-in-time backups that go with it); off only in dev (ADR 0105)."
  type = object({
    deletion_protection = optional(bool, true)
  })
  default  = {}
  nullable = false
}

variable "metrics" {
  description = "The functions' custom metrics (CloudWatch EMF): namespace of 1-255 characters of letters, digits and . _ # : / -, not starting with AWS/ (POWERTOOLS_METRICS_NAMESPACE)."
  type = object({
    namespace = optional(string, "Fanout")
  })
  default  = {}
  nullable = false

  validation {
    condition     = can(regex("^[A-Za-z0-9._#:/-]{1,255}$", var.metrics.namespace))
    error_message = "metrics.namespace must be 1-255 characters of letters, digits and . _ # : / -."
  }

  validation {
    condition     = !startswith(var.metrics.namespace, "AWS/")
    error_message = "metrics.namespace must not start with AWS/ (reserved for AWS services)."
  }
}

variable "tracing" {
  description = "X-Ray: enabled turns on active tracing of every function (tracing_config Active, xray:PutTraceSegments and xray:PutTelemetryRecords, POWERTOOLS_TRACE_ENABLED); see ADR 0103 for its cost."
  type = object({
    enabled = optional(bool, false)
  })
  default  = {}
  nullable = false
}

variable "alarms" {
  description = "CloudWatch alarms and dashboard (modules/alarms): enabled; email subscribed to the alarm topic (null: none); period_seconds 60-3600 in whole minutes; evaluation_periods 1-24 (at most a day of data points); oldest_message_age_seconds 60-1209600 for the tasks queue; errors_threshold and throttles_threshold 0 or more per function and period; consumer_duration_ratio 0.1-1 of the consumer timeout, past timeout - consumer.safety_margin_ms (default 0.95)."
  type = object({
    enabled                    = optional(bool, true)
    email                      = optional(string)
    period_seconds             = optional(number, 300)
    evaluation_periods         = optional(number, 1)
    oldest_message_age_seconds = optional(number, 900)
    errors_threshold           = optional(number, 0)
    throttles_threshold        = optional(number, 0)
    consumer_duration_ratio    = optional(number, 0.95)
  })
  default  = {}
  nullable = false

  validation {
    condition     = var.alarms.email == null ? true : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.alarms.email))
    error_message = "alarms.email must be null or look like an email address."
  }

  validation {
    condition     = var.alarms.period_seconds >= 60 && var.alarms.period_seconds <= 3600 && var.alarms.period_seconds % 60 == 0
    error_message = "alarms.period_seconds must be a whole number of minutes from 60 to 3600 seconds."
  }

  validation {
    condition     = var.alarms.evaluation_periods >= 1 && var.alarms.evaluation_periods <= 24 && floor(var.alarms.evaluation_periods) == var.alarms.evaluation_periods
    error_message = "alarms.evaluation_periods must be a whole number from 1 to 24."
  }

  validation {
    condition     = var.alarms.oldest_message_age_seconds >= 60 && var.alarms.oldest_message_age_seconds <= 1209600 && floor(var.alarms.oldest_message_age_seconds) == var.alarms.oldest_message_age_seconds
    error_message = "alarms.oldest_message_age_seconds must be a whole number from 60 to 1209600."
  }

  validation {
    condition     = var.alarms.errors_threshold >= 0 && floor(var.alarms.errors_threshold) == var.alarms.errors_threshold
    error_message = "alarms.errors_threshold must be a whole number of at least 0."
  }

  validation {
    condition     = var.alarms.throttles_threshold >= 0 && floor(var.alarms.throttles_threshold) == var.alarms.throttles_threshold
    error_message = "alarms.throttles_threshold must be a whole number of at least 0."
  }

  validation {
    condition     = var.alarms.consumer_duration_ratio >= 0.1 && var.alarms.consumer_duration_ratio <= 1
    error_message = "alarms.consumer_duration_ratio must be from 0.1 to 1."
  }

  # Invariant (settings.ts superRefine): the duration alarm lies past the consumer's own budget, which a
  # consumer with a backlog runs up to on every run.
  validation {
    condition     = var.alarms.consumer_duration_ratio * var.functions.consumer.timeout_seconds * 1000 > var.functions.consumer.timeout_seconds * 1000 - var.consumer.safety_margin_ms
    error_message = "alarms.consumer_duration_ratio must put the alarm past the consumer's own budget (timeout - consumer.safety_margin_ms), or it fires on every run with a backlog."
  }
}
