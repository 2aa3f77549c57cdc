output "dashboard_name" {
  description = "Name of the CloudWatch dashboard."
  value       = aws_cloudwatch_dashboard.this.dashboard_name
}

output "alarm_names" {
  description = "Names of the alarms: access point 4xx rate and 5xx, function errors and throttles."
  value = concat(
    [aws_cloudwatch_metric_alarm.olap_4xx_rate.alarm_name],
    [for k in ["olap-5xx", "function-errors", "function-throttles"] : aws_cloudwatch_metric_alarm.count[k].alarm_name],
  )
}

output "metric_namespace" {
  description = "Namespace of the metrics extracted from the function's request lines."
  value       = local.namespace
}

output "alarm_topic_arn" {
  description = "ARN of the SNS topic the alarms notify, or null when create_alarm_topic is false."
  value       = one(aws_sns_topic.alarms[*].arn)
}
