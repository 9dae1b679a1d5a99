variable "name" {
  description = "Name of the schedule and its schedule group; the scheduler role is <name>-scheduler."
  type        = string

  validation {
    condition     = can(regex("^[0-9A-Za-z_.-]{1,54}$", var.name))
    error_message = "name must be 1-54 characters of letters, digits, -, _ and . (the role adds -scheduler)."
  }
}

variable "schedule_expression" {
  description = "How often the schedule fires: rate(1 minute|hour|day), rate(<n > 1> minutes|hours|days) or cron(<6 fields>). The finest rate is 1 minute. The same rule as the root variable."
  type        = string

  validation {
    condition     = can(regex("^(rate\\((1 (minute|hour|day)|([2-9]|[1-9][0-9]+) (minutes|hours|days))\\)|cron\\(\\S+( \\S+){5}\\))$", var.schedule_expression))
    error_message = "schedule_expression must be rate(1 minute|hour|day), rate(<n > 1> minutes|hours|days) or cron(<6 fields>)."
  }
}

variable "timezone" {
  description = "Time zone of cron expressions (IANA name)."
  type        = string
  default     = "UTC"
}

variable "enabled" {
  description = "Whether the schedule fires."
  type        = bool
  default     = true
}

variable "target_function_arn" {
  description = "ARN of the Lambda function the schedule invokes (the consumer)."
  type        = string
}

variable "tags" {
  description = "Tags applied to the schedule group and the scheduler role (schedules themselves take no tags)."
  type        = map(string)
  default     = {}
}
