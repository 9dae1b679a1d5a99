# An SNS topic encrypted with a customer managed key of its own (rotation on). Both of fanout's topics are
# this: the alarm topic, because CloudWatch cannot publish under the AWS managed alias/aws/sns (ADR 0103),
# and the jobs topic, so that its key can be shared with a subscriber in another account later. The key
# policy leaves every use to the account's IAM policies, plus kms:Decrypt and kms:GenerateDataKey for the
# AWS services named in service_publishers (which encrypt what they publish with it).

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

resource "aws_kms_key" "this" {
  description             = var.key_description
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.key.json

  tags = var.tags
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.key_alias}"
  target_key_id = aws_kms_key.this.key_id
}

# A key policy's "*" resource is the key itself (infra-check treats documents used as a key policy so).
data "aws_iam_policy_document" "key" {
  statement {
    sid = "AccountAdministersKey"
    # The account's IAM policies decide who may manage or use the key (the deploy role, the functions,
    # operators).
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

  dynamic "statement" {
    for_each = length(var.service_publishers) > 0 ? [1] : []

    content {
      sid     = "ServicesPublish"
      actions = ["kms:Decrypt", "kms:GenerateDataKey"]
      # This key only, as above: the services encrypt what they publish to the topic with it.
      resources = ["*"]

      principals {
        type        = "Service"
        identifiers = var.service_publishers
      }
    }
  }
}

resource "aws_sns_topic" "this" {
  name = var.fifo ? "${var.name}.fifo" : var.name

  # FIFO (the jobs topic): the publisher names each message's deduplication id, so no content-based
  # deduplication, and deduplication across the whole topic.
  fifo_topic                  = var.fifo ? true : null
  content_based_deduplication = var.fifo ? false : null
  fifo_throughput_scope       = var.fifo ? "Topic" : null

  kms_master_key_id = aws_kms_key.this.arn

  tags = var.tags
}
