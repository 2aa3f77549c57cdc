# Alarms and dashboard for an existing function and access point.

data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

module "monitoring" {
  source = "../.."

  name                            = "s3archivefs-example"
  function_name                   = "s3archivefs-example"
  function_arn                    = "arn:${data.aws_partition.current.partition}:lambda:${data.aws_region.current.region}:${data.aws_caller_identity.current.account_id}:function:s3archivefs-example"
  log_group_name                  = "/aws/lambda/s3archivefs-example"
  object_lambda_access_point_name = "s3archivefs-example"
}
