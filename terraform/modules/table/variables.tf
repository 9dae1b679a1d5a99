variable "name_prefix" {
  description = "Prefix of the table name, <prefix>-dedup. 3-32 characters of a-z, 0-9 and -."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 3-32 characters of a-z, 0-9 and -, starting with a letter."
  }
}

variable "kms_key_arn" {
  description = "Customer managed KMS key for server-side encryption; null uses the AWS managed key."
  type        = string
  default     = null
}

variable "deletion_protection" {
  description = "Whether DynamoDB refuses to delete the table (DeleteTable fails, whoever calls it). On by default, as a reusable module should be; turn it off, and apply, before destroying or replacing the table (ADR 0105)."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags applied to the table."
  type        = map(string)
  default     = {}
}
