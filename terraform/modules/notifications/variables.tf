variable "name_prefix" {
  description = "Prefix of the topic and key alias names (<prefix>-jobs.fifo, alias/<prefix>-jobs). 3-32 characters of a-z, 0-9 and -."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 3-32 characters of a-z, 0-9 and -, starting with a letter and not ending with -."
  }
}

variable "tags" {
  description = "Tags applied to the topic and its key."
  type        = map(string)
  default     = {}
}
