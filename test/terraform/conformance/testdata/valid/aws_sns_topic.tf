resource "aws_sns_topic" "this" {
  name              = "s3archivefs-alarms"
  kms_master_key_id = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
}
