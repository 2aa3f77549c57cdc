# prod: the function in private subnets of its own VPC, a NAT gateway per
# AZ, the chunk cache on EFS (shared by every instance, kept across cold
# starts), alarms to an SNS topic. What differs from dev is the values
# below, not the code: both call modules/stack.

locals {
  environment = "prod"
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

  enable_vpc       = true
  vpc_cidr         = "10.42.0.0/16"
  az_count         = 3 # the region's first three AZs; `azs = [...]` names them instead
  nat_gateway_mode = "per_az"
  enable_flow_logs = true

  memory_size = 2048
  # Lambda keeps 100 of the account's concurrency unreserved, so 200 here
  # needs an account limit of at least 300 (the default is 1,000; new
  # accounts may start lower). The plan reads the quota and fails early
  # when it is too small.
  reserved_concurrency = 200
  cache_max_bytes      = 107374182400 # 100 GiB on EFS
  log_level            = var.log_level
  log_retention_days   = 90

  # Alarms must reach someone: the stack creates an SNS topic (subscribe to
  # it), adds alarm_actions, and refuses to plan alarms that notify no one.
  create_alarm_topic    = true
  alarm_actions         = var.alarm_actions
  require_alarm_actions = true
}
