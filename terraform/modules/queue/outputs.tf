output "tasks_queue_url" {
  description = "URL of the tasks queue (TASKS_QUEUE_URL)."
  value       = aws_sqs_queue.tasks.url
}

output "tasks_queue_arn" {
  description = "ARN of the tasks queue."
  value       = aws_sqs_queue.tasks.arn
}

output "dead_letter_queue_url" {
  description = "URL of the tasks queue's dead-letter queue."
  value       = aws_sqs_queue.dead_letter.url
}

output "dead_letter_queue_arn" {
  description = "ARN of the tasks queue's dead-letter queue."
  value       = aws_sqs_queue.dead_letter.arn
}

output "failed_tasks_queue_url" {
  description = "URL of the failed-task queue (the worker's on-failure destination)."
  value       = aws_sqs_queue.failed_tasks.url
}

output "failed_tasks_queue_arn" {
  description = "ARN of the failed-task queue (the worker's on-failure destination)."
  value       = aws_sqs_queue.failed_tasks.arn
}

output "tasks_queue_name" {
  description = "Name of the tasks queue (the QueueName dimension of its CloudWatch metrics)."
  value       = aws_sqs_queue.tasks.name
}

output "dead_letter_queue_name" {
  description = "Name of the tasks queue's dead-letter queue (the QueueName dimension of its CloudWatch metrics)."
  value       = aws_sqs_queue.dead_letter.name
}

output "failed_tasks_queue_name" {
  description = "Name of the failed-task queue (the QueueName dimension of its CloudWatch metrics)."
  value       = aws_sqs_queue.failed_tasks.name
}

output "stream_failures_queue_arn" {
  description = "ARN of the stream-failures queue (the on-failure destination of the consumer's task-change mapping)."
  value       = aws_sqs_queue.stream_failures.arn
}

output "stream_failures_queue_name" {
  description = "Name of the stream-failures queue (the QueueName dimension of its CloudWatch metrics)."
  value       = aws_sqs_queue.stream_failures.name
}
