variable "function_name" {
  description = "Name of the Lambda function; also names its log group (/aws/lambda/<name>) and role (<name>-role)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,64}$", var.function_name))
    error_message = "function_name must be 1-64 characters of letters, digits, - and _."
  }
}

variable "zip_path" {
  description = "Path of the prebuilt deployment zip (pnpm build writes functions/<name>/dist/<name>.zip); its hash decides whether the code changes."
  type        = string
}

variable "handler" {
  description = "Handler inside the zip, <file without extension>.<export>, e.g. index.handler."
  type        = string
}

variable "runtime" {
  description = "Lambda runtime identifier, nodejs22.x or nodejs24.x."
  type        = string

  validation {
    condition     = contains(["nodejs22.x", "nodejs24.x"], var.runtime)
    error_message = "runtime must be nodejs22.x or nodejs24.x."
  }
}

variable "architecture" {
  description = "Instruction set, arm64 or x86_64."
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.architecture)
    error_message = "architecture must be arm64 or x86_64."
  }
}

variable "memory_mb" {
  description = "Memory in MB, 128-10240."
  type        = number

  validation {
    condition     = var.memory_mb >= 128 && var.memory_mb <= 10240 && floor(var.memory_mb) == var.memory_mb
    error_message = "memory_mb must be a whole number from 128 to 10240."
  }
}

variable "timeout_seconds" {
  description = "Function timeout in seconds, 1-900."
  type        = number

  validation {
    condition     = var.timeout_seconds >= 1 && var.timeout_seconds <= 900 && floor(var.timeout_seconds) == var.timeout_seconds
    error_message = "timeout_seconds must be a whole number from 1 to 900."
  }
}

variable "reserved_concurrency" {
  description = "Reserved concurrent executions (a whole number, 0 or more); null leaves the function unreserved."
  type        = number
  default     = null

  validation {
    condition     = var.reserved_concurrency == null ? true : var.reserved_concurrency >= 0 && floor(var.reserved_concurrency) == var.reserved_concurrency
    error_message = "reserved_concurrency must be null or a whole number of at least 0."
  }
}

variable "environment" {
  description = "Environment variables of the function."
  type        = map(string)
  default     = {}
}

variable "log_retention_days" {
  description = "Retention of the function's log group in days: 1 or more, and one of the values CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)."
  type        = number

  validation {
    condition     = var.log_retention_days >= 1 && floor(var.log_retention_days) == var.log_retention_days
    error_message = "log_retention_days must be a whole number of at least 1."
  }

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a retention CloudWatch Logs accepts: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

variable "tracing_enabled" {
  description = "X-Ray active tracing (tracing_config Active); the caller passes a policy document granting xray:PutTraceSegments and xray:PutTelemetryRecords with it. false leaves PassThrough."
  type        = bool
  default     = false
  nullable    = false
}

variable "policy_documents" {
  description = "IAM policy documents (JSON, from aws_iam_policy_document) by concern name; each becomes its own role policy. Logs are added by the module."
  type        = map(string)
  default     = {}
}

variable "async_invoke" {
  description = "Asynchronous invocation settings: maximum_retry_attempts 0-2, maximum_event_age_seconds 60-21600, optional on_failure_destination_arn (SQS, SNS, EventBridge or Lambda ARN)."
  type = object({
    maximum_retry_attempts     = optional(number, 2)
    maximum_event_age_seconds  = optional(number, 21600)
    on_failure_destination_arn = optional(string)
  })
  default  = {}
  nullable = false

  validation {
    condition     = var.async_invoke.maximum_retry_attempts >= 0 && var.async_invoke.maximum_retry_attempts <= 2 && floor(var.async_invoke.maximum_retry_attempts) == var.async_invoke.maximum_retry_attempts
    error_message = "async_invoke.maximum_retry_attempts must be 0, 1 or 2."
  }

  validation {
    condition     = var.async_invoke.maximum_event_age_seconds >= 60 && var.async_invoke.maximum_event_age_seconds <= 21600 && floor(var.async_invoke.maximum_event_age_seconds) == var.async_invoke.maximum_event_age_seconds
    error_message = "async_invoke.maximum_event_age_seconds must be a whole number from 60 to 21600."
  }
}

variable "recursive_loop" {
  description = "Lambda's recursive loop detection: Terminate stops a chain of invocations after about 16 hops (loops of Lambda functions alone included); Allow, for a function that invokes itself on purpose and bounds the chain itself."
  type        = string
  default     = "Terminate"
  nullable    = false

  validation {
    condition     = contains(["Allow", "Terminate"], var.recursive_loop)
    error_message = "recursive_loop must be Allow or Terminate."
  }
}

variable "tags" {
  description = "Tags applied to the function, its role and its log group."
  type        = map(string)
  default     = {}
}
