output "table_name" {
  description = "Name of the table (TABLE_NAME)."
  value       = aws_dynamodb_table.this.name
}

output "table_arn" {
  description = "ARN of the table, the resource of every DynamoDB IAM statement on its items (a Query on an index names the index ARN)."
  value       = aws_dynamodb_table.this.arn
}

output "jobs_by_created_index_arn" {
  description = "ARN of the jobs-by-created index (jobs newest first): the resource of a dynamodb:Query grant for fanout jobs."
  value       = "${aws_dynamodb_table.this.arn}/index/jobs-by-created"
}

output "jobs_to_notify_index_arn" {
  description = "ARN of the jobs-to-notify index (finished jobs whose notice is unpublished): the consumer's dynamodb:Query resource."
  value       = "${aws_dynamodb_table.this.arn}/index/jobs-to-notify"
}

output "stream_arn" {
  description = "ARN of the table's stream (NEW_IMAGE): the event source of the consumer's task-change mapping."
  value       = aws_dynamodb_table.this.stream_arn
}
