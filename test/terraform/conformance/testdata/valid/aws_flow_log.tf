resource "aws_flow_log" "this" {
  vpc_id               = "vpc-0123456789abcdef0"
  traffic_type         = "REJECT"
  log_destination_type = "cloud-watch-logs"
  log_destination      = "arn:aws:logs:eu-west-1:123456789012:log-group:flows"
  iam_role_arn         = "arn:aws:iam::123456789012:role/flows"
}
