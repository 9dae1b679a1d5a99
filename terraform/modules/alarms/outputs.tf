output "topic_arn" {
  description = "ARN of the SNS topic every alarm notifies (on ALARM and on OK); subscribe more endpoints to it."
  value       = module.topic.topic_arn
}

output "alarm_names" {
  description = "Name of every alarm, by what it watches (dead_letter, failed_tasks, oldest_task, consumer_errors, worker_errors, main_submit_failures, main_throttles, worker_throttles, worker_events_dropped, worker_destination_failures, consumer_duration)."
  value       = { for key, alarm in aws_cloudwatch_metric_alarm.this : key => alarm.alarm_name }
}

output "dashboard_name" {
  description = "Name of the CloudWatch dashboard (<prefix>-overview)."
  value       = aws_cloudwatch_dashboard.this.dashboard_name
}
