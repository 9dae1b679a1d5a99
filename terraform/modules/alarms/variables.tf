variable "name_prefix" {
  description = "Prefix of the topic, key alias, alarm and dashboard names (<prefix>-alarms, <prefix>-dead-letter-queue-not-empty, ...). 3-32 characters of a-z, 0-9 and -."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 3-32 characters of a-z, 0-9 and -, starting with a letter and not ending with -."
  }
}

variable "alarm_email" {
  description = "Email address subscribed to the alarm topic (the address must confirm the subscription); null subscribes nobody."
  type        = string
  default     = null

  validation {
    condition     = var.alarm_email == null ? true : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.alarm_email))
    error_message = "alarm_email must be null or look like an email address."
  }
}

variable "function_names" {
  description = "Names of the three functions, the FunctionName dimension of their AWS/Lambda metrics."
  type = object({
    main     = string
    consumer = string
    worker   = string
  })
}

variable "tasks_queue_name" {
  description = "Name of the tasks queue (QueueName dimension)."
  type        = string
}

variable "dead_letter_queue_name" {
  description = "Name of the tasks queue's dead-letter queue (QueueName dimension)."
  type        = string
}

variable "failed_tasks_queue_name" {
  description = "Name of the failed-task queue, the worker's on-failure destination (QueueName dimension)."
  type        = string
}

variable "stream_failures_queue_name" {
  description = "Name of the stream-failures queue, the on-failure destination of the consumer's task-change mapping (QueueName dimension)."
  type        = string
}

variable "stream_iterator_age_seconds" {
  description = "Alarm when the consumer's task-change mapping is further behind the table's stream than this, 10-86400 s."
  type        = number
  default     = 300

  validation {
    condition     = var.stream_iterator_age_seconds >= 10 && var.stream_iterator_age_seconds <= 86400
    error_message = "stream_iterator_age_seconds must be 10-86400."
  }
}

variable "consumer_timeout_seconds" {
  description = "Timeout of the consumer function (1-900 s); its duration alarm fires at consumer_duration_ratio of it."
  type        = number

  validation {
    condition     = var.consumer_timeout_seconds >= 1 && var.consumer_timeout_seconds <= 900 && floor(var.consumer_timeout_seconds) == var.consumer_timeout_seconds
    error_message = "consumer_timeout_seconds must be a whole number from 1 to 900."
  }
}

variable "metrics_namespace" {
  description = "CloudWatch namespace of the functions' custom (EMF) metrics shown on the dashboard: 1-255 characters of letters, digits and . _ # : / -, not starting with AWS/."
  type        = string
  default     = "Fanout"

  validation {
    condition     = can(regex("^[A-Za-z0-9._#:/-]{1,255}$", var.metrics_namespace))
    error_message = "metrics_namespace must be 1-255 characters of letters, digits and . _ # : / -."
  }

  validation {
    condition     = !startswith(var.metrics_namespace, "AWS/")
    error_message = "metrics_namespace must not start with AWS/ (reserved for AWS services)."
  }
}

variable "period_seconds" {
  description = "Period over which each alarm evaluates its statistic: 60-3600 seconds in whole minutes."
  type        = number
  default     = 300

  validation {
    condition     = var.period_seconds >= 60 && var.period_seconds <= 3600 && var.period_seconds % 60 == 0
    error_message = "period_seconds must be a whole number of minutes from 60 to 3600 seconds."
  }
}

variable "evaluation_periods" {
  description = "Consecutive breaching periods before an alarm fires, 1-24."
  type        = number
  default     = 1

  validation {
    condition     = var.evaluation_periods >= 1 && var.evaluation_periods <= 24 && floor(var.evaluation_periods) == var.evaluation_periods
    error_message = "evaluation_periods must be a whole number from 1 to 24."
  }
}

variable "oldest_message_age_seconds" {
  description = "The tasks queue alarms when its oldest message is older than this, 60-1209600 seconds."
  type        = number
  default     = 900

  validation {
    condition     = var.oldest_message_age_seconds >= 60 && var.oldest_message_age_seconds <= 1209600 && floor(var.oldest_message_age_seconds) == var.oldest_message_age_seconds
    error_message = "oldest_message_age_seconds must be a whole number from 60 to 1209600."
  }
}

variable "errors_threshold" {
  description = "The consumer and the worker each alarm when their Errors sum in one period exceeds this (0 or more)."
  type        = number
  default     = 0

  validation {
    condition     = var.errors_threshold >= 0 && floor(var.errors_threshold) == var.errors_threshold
    error_message = "errors_threshold must be a whole number of at least 0."
  }
}

variable "throttles_threshold" {
  description = "main and the worker each alarm when their Throttles sum in one period exceeds this (0 or more)."
  type        = number
  default     = 0

  validation {
    condition     = var.throttles_threshold >= 0 && floor(var.throttles_threshold) == var.throttles_threshold
    error_message = "throttles_threshold must be a whole number of at least 0."
  }
}

variable "consumer_duration_ratio" {
  description = "The consumer alarms when its longest run in a period exceeds this fraction of its timeout, 0.1-1; the root keeps it past the consumer's own budget (timeout - safety margin)."
  type        = number
  default     = 0.95

  validation {
    condition     = var.consumer_duration_ratio >= 0.1 && var.consumer_duration_ratio <= 1
    error_message = "consumer_duration_ratio must be from 0.1 to 1."
  }
}

variable "tags" {
  description = "Tags applied to the topic, its key and every alarm (the dashboard takes none)."
  type        = map(string)
  default     = {}
}
