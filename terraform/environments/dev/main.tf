# dev: the cheapest shape. No VPC, NAT or EFS (nothing billed by the hour);
# the chunk cache lives in each instance's /tmp. What differs from prod is
# the values below, not the code: both call modules/stack.

locals {
  environment = "dev"
  dist        = coalesce(var.dist_dir, "${path.root}/../../../dist")
}

module "s3archivefs" {
  source = "../../modules/stack"

  name            = "s3archivefs-${local.environment}"
  frontend        = var.frontend
  bucket_name     = var.bucket_name
  prefix_vmap     = var.prefix_vmap
  vmap_ext_bucket = var.vmap_ext_bucket

  # The function URL front: its access keys live in a secret (created
  # empty unless keys_secret_arn names one), never in tfvars.
  keys_secret_arn       = var.keys_secret_arn
  real_allowed_prefixes = var.real_allowed_prefixes

  reader_principal_arns = var.reader_principal_arns
  bucket_kms_key_arns   = var.bucket_kms_key_arns
  manage_bucket_policy  = var.manage_bucket_policy

  architecture = "arm64"
  # Zip (with the libsquashfs layer) or the container image: a value in
  # terraform.tfvars, see terraform/README.md "Deploy as a container image".
  package_type          = var.package_type
  function_zip_path     = var.package_type == "Zip" ? "${local.dist}/function-arm64.zip" : null
  layer_zip_path        = var.package_type == "Zip" ? "${local.dist}/layer-arm64.zip" : null
  image_uri             = var.image_uri
  create_ecr_repository = var.create_ecr_repository

  enable_vpc = false

  memory_size          = 1024
  ephemeral_storage_mb = 2048
  cache_max_bytes      = 1610612736 # 1.5 GiB of the 2 GiB /tmp
  log_level            = var.log_level
  log_retention_days   = 7
}
