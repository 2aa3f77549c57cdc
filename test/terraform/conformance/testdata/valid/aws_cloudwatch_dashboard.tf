resource "aws_cloudwatch_dashboard" "this" {
  dashboard_name = "conformance"
  dashboard_body = jsonencode({ widgets = [] })
}
