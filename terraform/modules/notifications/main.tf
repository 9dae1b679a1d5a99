# The jobs topic: an SNS FIFO topic that gets one job.finished notice per job (ADR 0012). The worker or the
# consumer that finishes a job publishes with MessageDeduplicationId = <jobId>#<epoch>, so a republish after
# a crash within 5 minutes is accepted and delivered nowhere. Subscriptions are the users' own (README).

# A customer managed key, as the alarm topic has (modules/topic): its policy leaves every use to the
# account's IAM policies, so the functions' roles get kms:GenerateDataKey and kms:Decrypt on this key only,
# and a subscriber in another account can be let in later (the AWS managed alias/aws/sns cannot be shared).
module "topic" {
  source = "../topic"

  name            = "${var.name_prefix}-jobs"
  fifo            = true
  key_alias       = "${var.name_prefix}-jobs"
  key_description = "${var.name_prefix}: encrypts the jobs topic (job.finished notices)"

  tags = var.tags
}

# The topic and its key lived in this module before modules/topic: moved, not replaced (a replaced topic
# would lose its subscriptions).
moved {
  from = aws_kms_key.jobs
  to   = module.topic.aws_kms_key.this
}

moved {
  from = aws_kms_alias.jobs
  to   = module.topic.aws_kms_alias.this
}

moved {
  from = aws_sns_topic.jobs
  to   = module.topic.aws_sns_topic.this
}
