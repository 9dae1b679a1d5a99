# One table for job and task records: pk = JOB#<jobId> | TASK#<taskId>, expiry in epoch seconds under
# expiresAt. The code checks expiry itself too: TTL deletion can lag by up to 48 hours.
# Two global secondary indexes over the job records, as tableIndexes in packages/core/src/table-schema.ts
# declares them (infra-check compares the two): jobs-by-created lists jobs newest first (every job record
# has jobList = "job"), jobs-to-notify holds only finished jobs whose job.finished notice is unpublished.

resource "aws_dynamodb_table" "this" {
  name         = "${var.name_prefix}-dedup"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "pk"

  # The table's changes, read by the consumer's event source mapping: a task's outcome is counted from its
  # record's change, off the task path (ADR 0015, decision 2). NEW_IMAGE: the fold reads the new state only.
  stream_enabled   = true
  stream_view_type = "NEW_IMAGE"

  attribute {
    name = "pk"
    type = "S"
  }

  attribute {
    name = "jobList"
    type = "S"
  }

  attribute {
    name = "createdAt"
    type = "N"
  }

  attribute {
    name = "notifyDue"
    type = "S"
  }

  attribute {
    name = "finishedAt"
    type = "N"
  }

  # ALL: a job record is small (the growing per-job sets live in its separate progress item), so a listing
  # or the notice sweep reads each job in the Query itself, with no GetItem per job.
  global_secondary_index {
    name            = "jobs-by-created"
    projection_type = "ALL"

    key_schema {
      attribute_name = "jobList"
      key_type       = "HASH"
    }

    key_schema {
      attribute_name = "createdAt"
      key_type       = "RANGE"
    }
  }

  # Sparse: an item without notifyDue is not in it.
  global_secondary_index {
    name            = "jobs-to-notify"
    projection_type = "ALL"

    key_schema {
      attribute_name = "notifyDue"
      key_type       = "HASH"
    }

    key_schema {
      attribute_name = "finishedAt"
      key_type       = "RANGE"
    }
  }

  ttl {
    attribute_name = "expiresAt"
    enabled        = true
  }

  point_in_time_recovery {
    enabled = true
  }

  # With kms_key_arn null, DynamoDB uses the AWS managed key (aws/dynamodb).
  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }

  deletion_protection_enabled = var.deletion_protection

  tags = merge(var.tags, { "fanout:table" = "dedup" })
}
