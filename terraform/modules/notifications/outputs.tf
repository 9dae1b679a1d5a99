output "topic_arn" {
  description = "ARN of the SNS FIFO topic of the job.finished notices (JOBS_TOPIC_ARN); subscribe SQS queues to it."
  value       = aws_sns_topic.jobs.arn
}

output "topic_name" {
  description = "Name of the topic, <prefix>-jobs.fifo."
  value       = aws_sns_topic.jobs.name
}

output "kms_key_arn" {
  description = "ARN of the KMS key encrypting the topic: publishers need kms:GenerateDataKey and kms:Decrypt on it."
  value       = aws_kms_key.jobs.arn
}
