# The function outside any VPC (cache on /tmp, pure Go engine) serving two
# archives.

data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

module "function" {
  source = "../.."

  name     = "s3archivefs-example"
  zip_path = var.zip_path

  prefix_vmap = {
    "datasets/linux-6.1" = "s3://my-archives/archives/linux-6.1.sqfs"
    "/datasets/gcc-14/"  = "s3://my-archives/archives/gcc-14.sqfs"
  }
  vmap_ext_bucket = "my-archives"
  vmap_ext_key    = "s3archivefs/example/vmap.txt"

  object_lambda_access_point_name = "s3archivefs-example"
  supporting_access_point_arn     = "arn:${data.aws_partition.current.partition}:s3:${data.aws_region.current.region}:${data.aws_caller_identity.current.account_id}:accesspoint/s3archivefs-example-src"
}
