# A function URL front for two archives and the real objects under public/
# of one bucket, with the keys secret created (empty) here.

module "function_url" {
  source = "../.."

  name                 = "s3archivefs-example-url"
  zip_path             = var.zip_path
  reserved_concurrency = 20

  prefix_vmap = {
    "datasets/linux-6.1" = "s3://my-archives/archives/linux-6.1.sqfs"
    "datasets/gcc-14"    = "s3://my-archives/archives/gcc-14.sqfs"
  }

  real_bucket_name      = "my-archives"
  real_allowed_prefixes = ["public/"]
}
