resource "aws_s3control_access_point_policy" "this" {
  access_point_arn = "arn:aws:s3:eu-west-1:123456789012:accesspoint/conformance-src"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "cloudformation.amazonaws.com" }, Action = "s3:GetObject", Resource = "*" }]
  })
}
