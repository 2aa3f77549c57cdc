# Thin root module: the same in every environment; terraform.tfvars and
# backend.hcl hold what differs.

locals {
  dist = coalesce(var.dist_dir, "${path.root}/../../../dist")
}

module "s3archivefs" {
  source = "../../modules/stack"

  name            = "s3archivefs-${var.environment}"
  bucket_name     = var.bucket_name
  prefix_vmap     = var.prefix_vmap
  vmap_ext_bucket = var.vmap_ext_bucket

  architecture      = var.architecture
  function_zip_path = "${local.dist}/function-${var.architecture}.zip"
  layer_zip_path    = var.enable_layer ? "${local.dist}/layer-${var.architecture}.zip" : null

  enable_vpc       = var.enable_vpc
  vpc_cidr         = var.vpc_cidr
  azs              = var.azs
  nat_gateway_mode = var.nat_gateway_mode
  enable_flow_logs = var.enable_flow_logs

  memory_size          = var.memory_size
  ephemeral_storage_mb = var.ephemeral_storage_mb
  reserved_concurrency = var.reserved_concurrency
  cache_chunk_size     = var.cache_chunk_size
  cache_max_bytes      = var.cache_max_bytes
  revalidate_interval  = var.revalidate_interval
  log_level            = var.log_level
  log_retention_days   = var.log_retention_days

  archive_kms_key_arns  = var.archive_kms_key_arns
  reader_principal_arns = var.reader_principal_arns
  manage_bucket_policy  = var.manage_bucket_policy
  alarm_actions         = var.alarm_actions
}
