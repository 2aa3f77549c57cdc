resource "aws_secretsmanager_secret" "this" {
  name                    = "s3archivefs-conformance/access-keys"
  recovery_window_in_days = 7
}
