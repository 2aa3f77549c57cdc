resource "aws_iam_role_policy" "this" {
  name = "read"
  role = "conformance"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "s3:GetObject", Resource = "arn:aws:s3:::b/k" }]
  })
}
