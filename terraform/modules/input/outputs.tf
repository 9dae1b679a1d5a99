output "bucket_name" {
  description = "Name of the job-source bucket (INPUT_BUCKET): upload a job's records to s3://<bucket_name>/<key>."
  value       = aws_s3_bucket.input.id
}

output "bucket_arn" {
  description = "ARN of the job-source bucket; its objects are <bucket_arn>/*."
  value       = aws_s3_bucket.input.arn
}
