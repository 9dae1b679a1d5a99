output "topic_arn" {
  description = "ARN of the SNS FIFO topic of the job.finished notices (JOBS_TOPIC_ARN); subscribe SQS queues to it."
  value       = module.topic.topic_arn
}

output "topic_name" {
  description = "Name of the topic, <prefix>-jobs.fifo."
  value       = module.topic.topic_name
}

output "kms_key_arn" {
  description = "ARN of the KMS key encrypting the topic: publishers need kms:GenerateDataKey and kms:Decrypt on it."
  value       = module.topic.kms_key_arn
}
