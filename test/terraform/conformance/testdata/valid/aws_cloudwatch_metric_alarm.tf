resource "aws_cloudwatch_metric_alarm" "this" {
  alarm_name          = "errors"
  comparison_operator = "GreaterThanThreshold"
  evaluation_periods  = 1
  metric_name         = "Errors"
  namespace           = "AWS/Lambda"
  period              = 300
  statistic           = "Sum"
  threshold           = 0
  dimensions          = { FunctionName = "conformance" }
  alarm_actions       = ["arn:aws:sns:eu-west-1:123456789012:ops"]
}
