resource "aws_ecr_repository_policy" "this" {
  repository = "s3archivefs-conformance"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "lambda.amazonaws.com" }, Action = ["ecr:BatchGetImage"] }]
  })
}
