output "main_function_name" {
  description = "Name of the main function: aws lambda invoke --function-name \"$(terraform output -raw main_function_name)\"."
  value       = module.main.function_name
}

output "main_function_arn" {
  description = "ARN of the main function."
  value       = module.main.function_arn
}

output "consumer_function_name" {
  description = "Name of the consumer function."
  value       = module.consumer.function_name
}

output "consumer_function_arn" {
  description = "ARN of the consumer function."
  value       = module.consumer.function_arn
}

output "worker_function_name" {
  description = "Name of the worker function."
  value       = module.worker.function_name
}

output "worker_function_arn" {
  description = "ARN of the worker function."
  value       = module.worker.function_arn
}

output "tasks_queue_url" {
  description = "URL of the tasks queue."
  value       = module.queue.tasks_queue_url
}

output "dead_letter_queue_url" {
  description = "URL of the tasks queue's dead-letter queue (malformed or repeatedly failing messages)."
  value       = module.queue.dead_letter_queue_url
}

output "failed_tasks_queue_url" {
  description = "URL of the failed-task queue (worker events that failed after Lambda's retries)."
  value       = module.queue.failed_tasks_queue_url
}

output "table_name" {
  description = "Name of the DynamoDB table holding job and task records."
  value       = module.table.table_name
}

output "jobs_topic_arn" {
  description = "ARN of the SNS FIFO topic <prefix>-jobs.fifo that gets one job.finished notice per job: subscribe an SQS queue to it (README, Subscribing to job notices)."
  value       = module.notifications.topic_arn
}

output "jobs_topic_kms_key_arn" {
  description = "ARN of the KMS key encrypting the jobs topic."
  value       = module.notifications.kms_key_arn
}

output "schedule_name" {
  description = "Name of the EventBridge Scheduler schedule that runs the consumer."
  value       = module.schedule.schedule_name
}

output "alarm_topic_arn" {
  description = "ARN of the SNS topic the alarms notify (null when alarms.enabled is false)."
  value       = one(module.alarms[*].topic_arn)
}

output "alarm_names" {
  description = "Name of every alarm by what it watches (empty when alarms.enabled is false): aws cloudwatch describe-alarms --alarm-names ..."
  value       = try(module.alarms[0].alarm_names, {})
}

output "dashboard_name" {
  description = "Name of the CloudWatch dashboard (null when alarms.enabled is false)."
  value       = one(module.alarms[*].dashboard_name)
}

output "input_bucket" {
  description = "Name of the job-source bucket (main's INPUT_BUCKET): upload a job's records to s3://<bucket>/<key> and submit {\"source\": \"s3://<bucket>/<key>\"}; objects expire after input.expire_days."
  value       = module.input.bucket_name
}

output "input_bucket_arn" {
  description = "ARN of the job-source bucket: an operator who submits source jobs needs s3:PutObject on <arn>/* (README, Job sources in S3)."
  value       = module.input.bucket_arn
}

output "operator_policy_json" {
  description = "A least-privilege IAM policy (JSON) for the person running pnpm fanout against this stack: attach it to their role or user."
  value       = data.aws_iam_policy_document.operator.json
}
