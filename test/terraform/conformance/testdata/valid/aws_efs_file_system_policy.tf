resource "aws_efs_file_system_policy" "this" {
  file_system_id = "fs-0123456789abcdef0"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Deny", Principal = { AWS = "*" }, Action = "*", Resource = "*", Condition = { Bool = { "aws:SecureTransport" = "false" } } }]
  })
}
