# A whole deployment in its cheapest shape: no VPC, NAT or EFS, no layer.

module "stack" {
  source = "../.."

  name              = "s3archivefs-example"
  bucket_name       = "my-archives"
  function_zip_path = var.zip_path
  enable_vpc        = false

  prefix_vmap = {
    "datasets/linux-6.1" = "s3://my-archives/archives/linux-6.1.sqfs"
  }
}
