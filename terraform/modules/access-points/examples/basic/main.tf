# The access points in front of an existing bucket and function (named
# here by ARN; in a real stack they come from the function module).

data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  account = data.aws_caller_identity.current.account_id
  prefix  = "arn:${data.aws_partition.current.partition}"
}

module "access_points" {
  source = "../.."

  bucket_name                     = "my-archives"
  supporting_access_point_name    = "s3archivefs-example-src"
  object_lambda_access_point_name = "s3archivefs-example"
  function_arn                    = "${local.prefix}:lambda:${data.aws_region.current.region}:${local.account}:function:s3archivefs-example"
  function_name                   = "s3archivefs-example"
  function_role_arn               = "${local.prefix}:iam::${local.account}:role/s3archivefs-example-function"
}
