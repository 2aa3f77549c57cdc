resource "aws_s3_bucket_policy" "this" {
  bucket = "my-archives"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { AWS = "*" }, Action = "*", Resource = "arn:aws:s3:::my-archives/*" }]
  })
}
