output "topic_arn" {
  description = "ARN of the SNS topic every alarm notifies (on ALARM and on OK); subscribe more endpoints to it."
  value       = aws_sns_topic.alarms.arn
}

output "alarm_names" {
  description = "Name of every alarm, by what it watches (dead_letter, failed_tasks, oldest_task, <fn>_errors, <fn>_throttles, worker_events_dropped, worker_destination_failures, consumer_duration)."
  value = merge(
    {
      dead_letter                 = aws_cloudwatch_metric_alarm.dead_letter.alarm_name
      failed_tasks                = aws_cloudwatch_metric_alarm.failed_tasks.alarm_name
      oldest_task                 = aws_cloudwatch_metric_alarm.oldest_task.alarm_name
      worker_events_dropped       = aws_cloudwatch_metric_alarm.worker_events_dropped.alarm_name
      worker_destination_failures = aws_cloudwatch_metric_alarm.worker_destination_failures.alarm_name
      consumer_duration           = aws_cloudwatch_metric_alarm.consumer_duration.alarm_name
    },
    { for fn, alarm in aws_cloudwatch_metric_alarm.errors : "${fn}_errors" => alarm.alarm_name },
    { for fn, alarm in aws_cloudwatch_metric_alarm.throttles : "${fn}_throttles" => alarm.alarm_name },
  )
}

output "dashboard_name" {
  description = "Name of the CloudWatch dashboard (<prefix>-overview)."
  value       = aws_cloudwatch_dashboard.this.dashboard_name
}
