variable "name_prefix" {
  description = "Prefix of the bucket name: <prefix>-input-<26-character unique suffix> (a prefix longer than 30 characters is cut to 30). 3-32 characters of a-z, 0-9 and -."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 3-32 characters of a-z, 0-9 and -, starting with a letter and not ending with -."
  }
}

variable "expire_days" {
  description = "Days after upload at which S3 deletes a job source, 1-3650 (the lifecycle rule's expiration)."
  type        = number

  validation {
    condition     = var.expire_days >= 1 && var.expire_days <= 3650 && floor(var.expire_days) == var.expire_days
    error_message = "expire_days must be a whole number from 1 to 3650."
  }
}

variable "tags" {
  description = "Tags applied to the bucket."
  type        = map(string)
  default     = {}
}
