resource "aws_s3control_object_lambda_access_point_policy" "this" {
  name = "conformance"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { AWS = "arn:aws:iam::123456789012:root" }, Action = "s3-object-lambda:GetObject", Resource = "*" }]
  })
}
