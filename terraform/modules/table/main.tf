# One table for job and task records: pk = JOB#<jobId> | TASK#<taskId>, expiry in epoch seconds under
# expiresAt. The code checks expiry itself too: TTL deletion can lag by up to 48 hours.

resource "aws_dynamodb_table" "this" {
  name         = "${var.name_prefix}-dedup"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "pk"

  attribute {
    name = "pk"
    type = "S"
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
