output "object_lambda_access_point_arn" {
  description = "ARN of the Object Lambda access point: use it (or the alias) as the bucket."
  value       = module.access_points.object_lambda_access_point_arn
}

output "object_lambda_access_point_alias" {
  description = "Alias of the Object Lambda access point: a bucket name any S3 client accepts."
  value       = module.access_points.object_lambda_access_point_alias
}

output "supporting_access_point_arn" {
  description = "ARN of the supporting access point on bucket_name."
  value       = module.access_points.supporting_access_point_arn
}

output "function_name" {
  description = "Name of the s3archivefs Lambda function."
  value       = module.function.function_name
}

output "function_log_group" {
  description = "Log group of the function (one JSON line per request)."
  value       = module.function.log_group_name
}

output "layer_arn" {
  description = "ARN of the libsquashfs layer version attached, or null (pure Go engine)."
  value       = var.layer_zip_path != null ? module.layer[0].arn : null
}

output "efs_file_system_id" {
  description = "ID of the EFS file system holding the chunk cache, or null when enable_vpc is false."
  value       = var.enable_vpc ? module.efs[0].file_system_id : null
}

output "vpc_id" {
  description = "ID of the VPC, or null when enable_vpc is false."
  value       = var.enable_vpc ? module.network[0].vpc_id : null
}

output "vmap_delivery" {
  description = "How the function receives the VMAP: \"environment\" (S3ARCHIVEFS_PREFIX_VMAPn) or \"ext_file\" (S3 object)."
  value       = module.function.vmap_delivery
}

output "vmap_ext_file" {
  description = "s3:// URL of the VMAP ext file, or null when the map is in the environment."
  value       = module.function.vmap_ext_file
}

output "dashboard_name" {
  description = "CloudWatch dashboard of this deployment."
  value       = module.monitoring.dashboard_name
}

output "client_policy_json" {
  description = "IAM policy to attach to the roles that read through the access point."
  value       = module.access_points.client_policy_json
}

output "cli_examples" {
  description = "Ready-to-paste AWS CLI commands against the Object Lambda access point (the first virtual prefix as example)."
  value = {
    list_prefix = "aws s3api list-objects-v2 --bucket ${module.access_points.object_lambda_access_point_arn} --prefix '${local.example_prefix}/' --delimiter /"
    ls          = "aws s3 ls s3://${module.access_points.object_lambda_access_point_alias}/${local.example_prefix}/"
    head_object = "aws s3api head-object --bucket ${module.access_points.object_lambda_access_point_arn} --key '${local.example_prefix}/PATH/IN/ARCHIVE'"
    get_range   = "aws s3api get-object --bucket ${module.access_points.object_lambda_access_point_arn} --key '${local.example_prefix}/PATH/IN/ARCHIVE' --range bytes=0-1023 /dev/stdout"
    copy        = "aws s3 cp s3://${module.access_points.object_lambda_access_point_alias}/${local.example_prefix}/PATH/IN/ARCHIVE ."
    logs        = "aws logs tail ${module.function.log_group_name} --follow --format short"
  }
}
