# The jobs topic: an SNS FIFO topic that gets one job.finished notice per job (ADR 0012). The worker or the
# consumer that finishes a job publishes with MessageDeduplicationId = <jobId>#<epoch>, so a republish after
# a crash within 5 minutes is accepted and delivered nowhere. Subscriptions are the users' own (README).

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

# A customer managed key, as the alarm topic has: its policy leaves every use to the account's IAM policies,
# so the functions' roles get kms:GenerateDataKey and kms:Decrypt on this key only, and a subscriber in
# another account can be let in here later (the AWS managed alias/aws/sns cannot be shared or edited).
resource "aws_kms_key" "jobs" {
  description             = "${var.name_prefix}: encrypts the jobs topic (job.finished notices)"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.jobs_key.json

  tags = var.tags
}

resource "aws_kms_alias" "jobs" {
  name          = "alias/${var.name_prefix}-jobs"
  target_key_id = aws_kms_key.jobs.key_id
}

# A key policy's "*" resource is the key itself (infra-check treats documents used as a key policy so).
data "aws_iam_policy_document" "jobs_key" {
  statement {
    sid = "AccountAdministersKey"
    # The account's IAM policies decide who may manage or use the key (the deploy role, the functions).
    actions = [
      "kms:CancelKeyDeletion",
      "kms:CreateAlias",
      "kms:CreateGrant",
      "kms:Decrypt",
      "kms:DeleteAlias",
      "kms:DescribeKey",
      "kms:DisableKey",
      "kms:DisableKeyRotation",
      "kms:EnableKey",
      "kms:EnableKeyRotation",
      "kms:Encrypt",
      "kms:GenerateDataKey",
      "kms:GetKeyPolicy",
      "kms:GetKeyRotationStatus",
      "kms:ListGrants",
      "kms:ListKeyPolicies",
      "kms:ListResourceTags",
      "kms:PutKeyPolicy",
      "kms:RetireGrant",
      "kms:RevokeGrant",
      "kms:ScheduleKeyDeletion",
      "kms:TagResource",
      "kms:UntagResource",
      "kms:UpdateAlias",
      "kms:UpdateKeyDescription",
    ]
    # In a key policy "*" means this key and nothing else (a key policy cannot name other resources).
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }
}

resource "aws_sns_topic" "jobs" {
  name = "${var.name_prefix}-jobs.fifo"

  fifo_topic = true
  # The publisher names each notice's deduplication id (<jobId>#<epoch>); a body hash would let two
  # notices of one job that differ in a field (a republish's time) both through.
  content_based_deduplication = false
  # Deduplicate across the whole topic (the id already holds the job): 300 publishes/s, one per job.
  fifo_throughput_scope = "Topic"

  kms_master_key_id = aws_kms_key.jobs.arn

  tags = var.tags
}
