# The job-source bucket: an operator uploads a large job's records here (`pnpm fanout submit big.jsonl`) and
# main reads them from {"source": "s3://<bucket>/<key>"}. Private, TLS only, encrypted, and each object
# expires after expire_days: a source is only needed until its job's tasks are enqueued.

resource "aws_s3_bucket" "input" {
  # Bucket names are global, so Terraform appends a unique 26-character suffix to this prefix, which may
  # be at most 37 characters: a name_prefix longer than 30 is cut to its first 30 here.
  bucket_prefix = "${substr(var.name_prefix, 0, 30)}-input-"
  # A destroy refuses a bucket that still holds sources; empty it first (README, Tear down).
  force_destroy = false

  tags = var.tags
}

# SSE-S3 (AES256), as the tasks queue has SSE-SQS: the data keys are S3's, so reading a source takes
# s3:GetObject only and uploading one s3:PutObject only, with no KMS request per object (README).
resource "aws_s3_bucket_server_side_encryption_configuration" "input" {
  bucket = aws_s3_bucket.input.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_public_access_block" "input" {
  bucket = aws_s3_bucket.input.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

# ACLs off: the bucket owner owns every object, whoever uploaded it; access is IAM and the bucket policy.
resource "aws_s3_bucket_ownership_controls" "input" {
  bucket = aws_s3_bucket.input.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

# Deny statements only: what may be done is each principal's own IAM policy (main's s3:GetObject in the
# root's iam.tf, an operator's s3:PutObject).
data "aws_iam_policy_document" "input" {
  statement {
    sid    = "DenyInsecureTransport"
    effect = "Deny"
    # Denying every action to every principal over plain HTTP; a Deny grants nothing.
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.input.arn, "${aws_s3_bucket.input.arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "input" {
  bucket = aws_s3_bucket.input.id
  policy = data.aws_iam_policy_document.input.json

  # S3 refuses a bucket policy while a public access block is being changed; one at a time.
  depends_on = [aws_s3_bucket_public_access_block.input]
}

resource "aws_s3_bucket_lifecycle_configuration" "input" {
  bucket = aws_s3_bucket.input.id

  rule {
    id     = "expire-job-sources"
    status = "Enabled"

    # Every object in the bucket.
    filter {}

    expiration {
      days = var.expire_days
    }

    # A failed or interrupted multipart upload leaves parts that are billed but never listed as objects.
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }
}
