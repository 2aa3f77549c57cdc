output "object_lambda_access_point_arn" {
  description = "ARN of the Object Lambda access point: use it (or the alias) as the bucket."
  value       = one(module.access_points[*].object_lambda_access_point_arn)
}

output "object_lambda_access_point_alias" {
  description = "Alias of the Object Lambda access point: a bucket name any S3 client accepts."
  value       = one(module.access_points[*].object_lambda_access_point_alias)
}

output "supporting_access_point_arn" {
  description = "ARN of the supporting access point on bucket_name."
  value       = one(module.access_points[*].supporting_access_point_arn)
}

output "function_name" {
  description = "Name of the s3archivefs Lambda function."
  value       = one(module.function[*].function_name)
}

output "function_log_group" {
  description = "Log group of the function (one JSON line per request)."
  value       = one(module.function[*].log_group_name)
}

output "layer_arn" {
  description = "ARN of the libsquashfs layer version attached, or null (pure Go engine)."
  value       = one(module.layer[*].arn)
}

output "efs_file_system_id" {
  description = "ID of the EFS file system holding the chunk cache, or null when enable_vpc is false."
  value       = one(module.efs[*].file_system_id)
}

output "vpc_id" {
  description = "ID of the VPC, or null when enable_vpc is false."
  value       = one(module.network[*].vpc_id)
}

output "vmap_delivery" {
  description = "How the functions receive the VMAP (the same for both fronts: it depends on the map alone): \"environment\" (S3ARCHIVEFS_PREFIX_VMAPn) or \"ext_file\" (S3 object)."
  value       = concat(module.function[*].vmap_delivery, module.function_url[*].vmap_delivery)[0]
}

output "vmap_ext_file" {
  description = "s3:// URL of the VMAP ext file, or null when the map is in the environment."
  value       = one(module.function[*].vmap_ext_file)
}

output "dashboard_name" {
  description = "CloudWatch dashboard of this deployment."
  value       = one(module.monitoring[*].dashboard_name)
}

output "alarm_topic_arn" {
  description = "SNS topic the alarms notify (subscribe to it), or null when create_alarm_topic is false."
  value       = one(module.monitoring[*].alarm_topic_arn)
}

output "client_policy_json" {
  description = "IAM policy to attach to the roles that read through the access point."
  value       = one(module.access_points[*].client_policy_json)
}

output "cli_examples" {
  # Only s3api commands: AWS documents that the CLI's high-level s3
  # commands (cp, mv, sync) do not work against an Object Lambda access point.
  description = "Ready-to-paste AWS CLI commands against the Object Lambda access point (the first virtual prefix as example; s3api only, as `aws s3 cp/mv/sync` do not work with Object Lambda); null without that front."
  value = local.has_olap ? {
    list_prefix = "aws s3api list-objects-v2 --bucket ${module.access_points[0].object_lambda_access_point_arn} --prefix '${local.example_prefix}/' --delimiter /"
    head_object = "aws s3api head-object --bucket ${module.access_points[0].object_lambda_access_point_arn} --key '${local.example_prefix}/PATH/IN/ARCHIVE'"
    get_object  = "aws s3api get-object --bucket ${module.access_points[0].object_lambda_access_point_arn} --key '${local.example_prefix}/PATH/IN/ARCHIVE' ARCHIVE-FILE"
    get_range   = "aws s3api get-object --bucket ${module.access_points[0].object_lambda_access_point_arn} --key '${local.example_prefix}/PATH/IN/ARCHIVE' --range bytes=0-1023 /dev/stdout"
    logs        = "aws logs tail ${module.function[0].log_group_name} --follow --format short"
  } : null
}

output "function_url" {
  description = "The function URL front's S3 endpoint (pass it as --endpoint-url), or null without that front."
  value       = one(module.function_url[*].function_url)
}

output "function_url_function_name" {
  description = "Name of the function behind the function URL, or null."
  value       = one(module.function_url[*].function_name)
}

output "keys_secret_arn" {
  description = "Secrets Manager secret holding the function URL front's access keys (put its value with `aws secretsmanager put-secret-value`), or null."
  value       = one(module.function_url[*].keys_secret_arn)
}

output "function_url_examples" {
  description = "Ready-to-paste commands for the function URL front (an AWS CLI profile holding one of the secret's access keys; every S3 client works the same with its endpoint URL), or null without that front."
  value = local.has_url ? {
    put_keys = "aws secretsmanager put-secret-value --secret-id ${module.function_url[0].keys_secret_arn} --secret-string file://keys.json"
    ls       = "aws --endpoint-url ${trimsuffix(module.function_url[0].function_url, "/")} s3 ls s3://${var.bucket_name}/${local.example_prefix}/"
    cp       = "aws --endpoint-url ${trimsuffix(module.function_url[0].function_url, "/")} s3 cp s3://${var.bucket_name}/${local.example_prefix}/PATH/IN/ARCHIVE ."
    presign  = "aws --endpoint-url ${trimsuffix(module.function_url[0].function_url, "/")} s3 presign s3://${var.bucket_name}/${local.example_prefix}/PATH/IN/ARCHIVE --expires-in 3600"
    logs     = "aws logs tail ${module.function_url[0].log_group_name} --follow --format short"
  } : null
}

output "ecr_repository_url" {
  description = "Where to push the image (`make image-push`), or null when create_ecr_repository is false."
  value       = one(module.ecr[*].repository_url)
}
