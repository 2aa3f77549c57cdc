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
  value       = one(module.layer[*].arn)
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

output "alarm_topic_arn" {
  description = "SNS topic the alarms notify (subscribe to it), or null when create_alarm_topic is false."
  value       = module.monitoring.alarm_topic_arn
}

output "client_policy_json" {
  description = "IAM policy to attach to the roles that read through the access point."
  value       = module.access_points.client_policy_json
}

output "cli_examples" {
  # Only s3api commands: AWS documents that the CLI's high-level s3
  # commands (cp, mv, sync) do not work against an Object Lambda access point.
  description = "Ready-to-paste AWS CLI commands against the Object Lambda access point (the first virtual prefix as example; s3api only, as `aws s3 cp/mv/sync` do not work with Object Lambda)."
  value = {
    list_prefix = "aws s3api list-objects-v2 --bucket ${module.access_points.object_lambda_access_point_arn} --prefix '${local.example_prefix}/' --delimiter /"
    head_object = "aws s3api head-object --bucket ${module.access_points.object_lambda_access_point_arn} --key '${local.example_prefix}/PATH/IN/ARCHIVE'"
    get_object  = "aws s3api get-object --bucket ${module.access_points.object_lambda_access_point_arn} --key '${local.example_prefix}/PATH/IN/ARCHIVE' ARCHIVE-FILE"
    get_range   = "aws s3api get-object --bucket ${module.access_points.object_lambda_access_point_arn} --key '${local.example_prefix}/PATH/IN/ARCHIVE' --range bytes=0-1023 /dev/stdout"
    logs        = "aws logs tail ${module.function.log_group_name} --follow --format short"
  }
}

output "ecr_repository_url" {
  description = "Where to push the image (`make image-push`), or null when create_ecr_repository is false."
  value       = one(module.ecr[*].repository_url)
}
