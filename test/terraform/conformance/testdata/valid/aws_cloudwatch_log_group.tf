resource "aws_cloudwatch_log_group" "this" {
  name              = "/aws/lambda/conformance"
  retention_in_days = 30
}
