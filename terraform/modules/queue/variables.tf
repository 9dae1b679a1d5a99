variable "name_prefix" {
  description = "Prefix of every queue name: <prefix>-tasks, <prefix>-tasks-dlq, <prefix>-failed-tasks. 3-32 characters of a-z, 0-9 and -."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 3-32 characters of a-z, 0-9 and -, starting with a letter."
  }
}

variable "visibility_timeout_seconds" {
  description = "Visibility timeout of the tasks queue, 0-43200 s. Must be at least consumer_timeout_seconds, or a message still being handled reappears."
  type        = number

  validation {
    condition     = var.visibility_timeout_seconds >= 0 && var.visibility_timeout_seconds <= 43200 && floor(var.visibility_timeout_seconds) == var.visibility_timeout_seconds
    error_message = "visibility_timeout_seconds must be a whole number of seconds from 0 to 43200."
  }

  validation {
    condition     = var.visibility_timeout_seconds >= var.consumer_timeout_seconds
    error_message = "visibility_timeout_seconds must be at least the consumer function's timeout (consumer_timeout_seconds)."
  }
}

variable "consumer_timeout_seconds" {
  description = "Timeout of the consumer function (1-900 s), against which the visibility timeout is validated."
  type        = number

  validation {
    condition     = var.consumer_timeout_seconds >= 1 && var.consumer_timeout_seconds <= 900 && floor(var.consumer_timeout_seconds) == var.consumer_timeout_seconds
    error_message = "consumer_timeout_seconds must be a whole number from 1 to 900."
  }
}

variable "message_retention_seconds" {
  description = "How long the tasks queue keeps a message, 60-1209600 s (14 days)."
  type        = number

  validation {
    condition     = var.message_retention_seconds >= 60 && var.message_retention_seconds <= 1209600 && floor(var.message_retention_seconds) == var.message_retention_seconds
    error_message = "message_retention_seconds must be a whole number from 60 to 1209600."
  }
}

variable "max_receive_count" {
  description = "Receives after which a message moves to the dead-letter queue (the redrive policy's maxReceiveCount), 1-1000."
  type        = number

  validation {
    condition     = var.max_receive_count >= 1 && var.max_receive_count <= 1000 && floor(var.max_receive_count) == var.max_receive_count
    error_message = "max_receive_count must be a whole number from 1 to 1000."
  }
}

variable "tags" {
  description = "Tags applied to every queue."
  type        = map(string)
  default     = {}
}
