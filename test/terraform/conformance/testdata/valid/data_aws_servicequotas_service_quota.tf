data "aws_servicequotas_service_quota" "this" {
  service_code = "lambda"
  quota_code   = "L-B99A9384"
}
