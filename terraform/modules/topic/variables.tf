variable "name" {
  description = "Name of the topic, without the .fifo suffix a FIFO topic gets: 1-251 characters of letters, digits, - and _."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,251}$", var.name))
    error_message = "name must be 1-251 characters of letters, digits, - and _ (the .fifo suffix is added when fifo is true)."
  }
}

variable "fifo" {
  description = "A FIFO topic (<name>.fifo), deduplicating by the publisher's MessageDeduplicationId across the whole topic; false makes a standard topic."
  type        = bool
  default     = false
}

variable "key_alias" {
  description = "Alias of the topic's KMS key, without the alias/ prefix: 1-250 characters of letters, digits and / _ -, not starting with aws/."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9/_-]{1,250}$", var.key_alias)) && !startswith(var.key_alias, "aws/")
    error_message = "key_alias must be 1-250 characters of letters, digits and / _ -, and must not start with aws/."
  }
}

variable "key_description" {
  description = "Description of the KMS key: what it encrypts and who may use it."
  type        = string
}

variable "service_publishers" {
  description = "AWS service principals that publish to the topic and so may use the key (kms:Decrypt, kms:GenerateDataKey), e.g. cloudwatch.amazonaws.com; [] leaves every use to IAM policies."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for p in var.service_publishers : can(regex("^[a-z0-9.-]+\\.amazonaws\\.com$", p))])
    error_message = "service_publishers must be AWS service principals such as cloudwatch.amazonaws.com."
  }
}

variable "tags" {
  description = "Tags applied to the topic and its key."
  type        = map(string)
  default     = {}
}
