# One s3archivefs deployment: what an environment instantiates. Every
# module below has one concern; this file only wires them.
#
# frontend picks the fronts: "object_lambda" (the Object Lambda access
# point, front A), "function_url" (a plain S3 endpoint on a function URL,
# front B) or "both" (two functions sharing the layer and the VMAP).

# AZs: the explicit list when given, else the region's first az_count
# available zones (names sorted, so the choice is stable).
data "aws_availability_zones" "available" {
  count = local.use_vpc && length(var.azs) == 0 ? 1 : 0

  state = "available"
}

locals {
  has_olap = contains(["object_lambda", "both"], var.frontend)
  has_url  = contains(["function_url", "both"], var.frontend)
  # The VPC, NAT and EFS serve the Object Lambda function only: a function
  # URL does not stream for a VPC-attached function.
  use_vpc = var.enable_vpc && local.has_olap

  azs = length(var.azs) > 0 ? var.azs : try(slice(sort(data.aws_availability_zones.available[0].names), 0, var.az_count), [])

  supporting_access_point_name = "${var.name}-src"
  example_prefix               = try(sort([for k in keys(var.prefix_vmap) : trim(k, "/")])[0], "PREFIX")
  vmap_ext_key                 = coalesce(var.vmap_ext_key, "s3archivefs/${var.name}/vmap.txt")
  url_function_name            = var.frontend == "both" ? "${var.name}-url" : var.name
  # With both fronts, each function writes its own ext file.
  url_vmap_ext_key = var.frontend == "both" ? "s3archivefs/${local.url_function_name}/vmap.txt" : local.vmap_ext_key
}

# The Object Lambda parts became optional with frontend: their addresses
# gained an index, and existing state follows.
moved {
  from = module.function
  to   = module.function[0]
}

moved {
  from = module.access_points
  to   = module.access_points[0]
}

moved {
  from = module.monitoring
  to   = module.monitoring[0]
}

module "network" {
  source = "../network"
  count  = local.use_vpc ? 1 : 0

  name             = var.name
  cidr_block       = var.vpc_cidr
  azs              = local.azs
  nat_gateway_mode = var.nat_gateway_mode
  enable_flow_logs = var.enable_flow_logs
}

module "efs" {
  source = "../efs"
  count  = local.use_vpc ? 1 : 0

  name                     = var.name
  vpc_id                   = module.network[0].vpc_id
  subnet_ids               = module.network[0].private_subnet_ids
  client_security_group_id = module.function[0].security_group_id
  client_role_arn          = module.function[0].role_arn
  throughput_mode          = var.efs_throughput_mode
  transition_to_ia         = var.efs_transition_to_ia
}

module "ecr" {
  source = "../ecr"
  count  = var.create_ecr_repository ? 1 : 0

  name = var.name
}

# An image carries the layer's libraries in /opt/lib: no layer version then.
module "layer" {
  source = "../layer"
  count  = var.layer_zip_path != null && var.package_type == "Zip" ? 1 : 0

  name         = "${var.name}-libsquashfs-${var.architecture}"
  zip_path     = var.layer_zip_path
  architecture = var.architecture
}

# ---------------------------------------------------------------------------
# Front A: S3 Object Lambda.

module "function" {
  source = "../function"
  count  = local.has_olap ? 1 : 0

  name                 = var.name
  front                = "object_lambda"
  package_type         = var.package_type
  zip_path             = var.function_zip_path
  image_uri            = var.image_uri
  architecture         = var.architecture
  memory_size          = var.memory_size
  timeout              = var.timeout
  ephemeral_storage_mb = var.ephemeral_storage_mb
  reserved_concurrency = var.reserved_concurrency
  log_retention_days   = var.log_retention_days
  log_level            = var.log_level

  prefix_vmap     = var.prefix_vmap
  vmap_ext_bucket = var.vmap_ext_bucket
  vmap_ext_key    = local.vmap_ext_key

  cache_chunk_size    = var.cache_chunk_size
  cache_max_bytes     = var.cache_max_bytes
  revalidate_interval = var.revalidate_interval
  layer_arns          = module.layer[*].arn

  object_lambda_access_point_name = var.name
  supporting_access_point_arn     = module.access_points[0].supporting_access_point_arn
  archive_kms_key_arns            = var.archive_kms_key_arns

  vpc_id                = local.use_vpc ? module.network[0].vpc_id : null
  subnet_ids            = local.use_vpc ? module.network[0].private_subnet_ids : []
  enable_efs            = local.use_vpc
  efs_access_point_arn  = local.use_vpc ? module.efs[0].access_point_arn : null
  efs_file_system_arn   = local.use_vpc ? module.efs[0].file_system_arn : null
  efs_security_group_id = local.use_vpc ? module.efs[0].security_group_id : null
}

module "access_points" {
  source = "../access-points"
  count  = local.has_olap ? 1 : 0

  bucket_name                     = var.bucket_name
  supporting_access_point_name    = local.supporting_access_point_name
  object_lambda_access_point_name = var.name
  function_arn                    = module.function[0].function_arn
  function_name                   = var.name
  function_role_arn               = module.function[0].role_arn
  reader_principal_arns           = var.reader_principal_arns
  kms_key_arns                    = var.bucket_kms_key_arns
  manage_bucket_policy            = var.manage_bucket_policy
}

module "monitoring" {
  source = "../monitoring"
  count  = local.has_olap ? 1 : 0

  name                            = var.name
  function_name                   = module.function[0].function_name
  function_arn                    = module.function[0].function_arn
  log_group_name                  = module.function[0].log_group_name
  object_lambda_access_point_name = module.access_points[0].object_lambda_access_point_name
  alarm_actions                   = var.alarm_actions
  create_alarm_topic              = var.create_alarm_topic
  alarm_topic_kms_key_arn         = var.alarm_topic_kms_key_arn
  require_alarm_actions           = var.require_alarm_actions
}

# ---------------------------------------------------------------------------
# Front B: the function URL, outside any VPC (cache on /tmp).

module "function_url" {
  source = "../function-url"
  count  = local.has_url ? 1 : 0

  name                 = local.url_function_name
  package_type         = var.package_type
  zip_path             = var.function_zip_path
  image_uri            = var.image_uri
  layer_arns           = module.layer[*].arn
  architecture         = var.architecture
  memory_size          = var.memory_size
  timeout              = var.url_timeout
  ephemeral_storage_mb = var.url_ephemeral_storage_mb
  reserved_concurrency = var.url_reserved_concurrency
  log_level            = var.log_level
  log_retention_days   = var.log_retention_days

  prefix_vmap          = var.prefix_vmap
  vmap_ext_bucket      = var.vmap_ext_bucket
  vmap_ext_key         = local.url_vmap_ext_key
  archive_kms_key_arns = var.archive_kms_key_arns

  cache_chunk_size    = var.cache_chunk_size
  cache_max_bytes     = var.url_cache_max_bytes
  revalidate_interval = var.revalidate_interval

  real_bucket_name      = var.bucket_name
  real_allowed_prefixes = var.real_allowed_prefixes
  real_kms_key_arns     = var.bucket_kms_key_arns
  keys_secret_arn       = var.keys_secret_arn
  keys_kms_key_arn      = var.keys_kms_key_arn

  alarm_actions = concat(var.alarm_actions, compact([one(module.monitoring[*].alarm_topic_arn)]))
}
