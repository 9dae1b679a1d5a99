output "table_name" {
  description = "Name of the table (TABLE_NAME)."
  value       = aws_dynamodb_table.this.name
}

output "table_arn" {
  description = "ARN of the table, the resource of every DynamoDB IAM statement."
  value       = aws_dynamodb_table.this.arn
}
