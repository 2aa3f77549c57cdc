output "object_lambda_access_point_arn" {
  description = "ARN of the Object Lambda access point (use it as the bucket)."
  value       = module.s3archivefs.object_lambda_access_point_arn
}

output "object_lambda_access_point_alias" {
  description = "Alias of the Object Lambda access point (a bucket name for any S3 client)."
  value       = module.s3archivefs.object_lambda_access_point_alias
}

output "function_name" {
  description = "Name of the Lambda function."
  value       = module.s3archivefs.function_name
}

output "function_log_group" {
  description = "Log group of the function."
  value       = module.s3archivefs.function_log_group
}

output "layer_arn" {
  description = "ARN of the libsquashfs layer version, or null."
  value       = module.s3archivefs.layer_arn
}

output "efs_file_system_id" {
  description = "ID of the cache file system, or null without VPC."
  value       = module.s3archivefs.efs_file_system_id
}

output "vmap_delivery" {
  description = "\"environment\" or \"ext_file\"."
  value       = module.s3archivefs.vmap_delivery
}

output "dashboard_name" {
  description = "CloudWatch dashboard."
  value       = module.s3archivefs.dashboard_name
}

output "alarm_topic_arn" {
  description = "SNS topic the alarms notify (subscribe to it), or null."
  value       = module.s3archivefs.alarm_topic_arn
}

output "client_policy_json" {
  description = "IAM policy for reader roles."
  value       = module.s3archivefs.client_policy_json
}

output "cli_examples" {
  description = "Ready-to-paste AWS CLI commands."
  value       = module.s3archivefs.cli_examples
}

output "ecr_repository_url" {
  description = "Where `make image-push` pushes, or null."
  value       = module.s3archivefs.ecr_repository_url
}

output "function_url" {
  description = "The function URL front's S3 endpoint (--endpoint-url), or null."
  value       = module.s3archivefs.function_url
}

output "function_url_examples" {
  description = "Ready-to-paste commands for the function URL front, or null."
  value       = module.s3archivefs.function_url_examples
}

output "keys_secret_arn" {
  description = "The secret holding the function URL front's access keys, or null."
  value       = module.s3archivefs.keys_secret_arn
}
