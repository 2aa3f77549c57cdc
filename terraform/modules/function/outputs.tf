output "function_name" {
  description = "Name of the Lambda function."
  value       = aws_lambda_function.this.function_name
}

output "function_arn" {
  description = "ARN of the Lambda function (what the Object Lambda access point invokes)."
  value       = aws_lambda_function.this.arn
}

# Built from the name, so that the policies naming the role (the
# supporting access point's, the EFS file system's) are readable in the
# plan; they name it in conditions, which need no role to exist yet.
output "role_arn" {
  description = "ARN of the execution role (known at plan: built from its name)."
  value       = "arn:${local.partition}:iam::${local.account_id}:role/${aws_iam_role.this.name}"
}

output "role_name" {
  description = "Name of the execution role."
  value       = aws_iam_role.this.name
}

output "log_group_name" {
  description = "Log group the function writes its JSON request lines to."
  value       = aws_cloudwatch_log_group.this.name
}

output "security_group_id" {
  description = "The function's security group (null outside a VPC); the EFS security group admits NFS from it."
  value       = local.in_vpc ? aws_security_group.this[0].id : null
}

output "environment" {
  description = "The environment variables the function gets (the VMAP contract: S3ARCHIVEFS_PREFIX_VMAP1..n, or the ext file and its sha256)."
  value       = local.environment
}

output "vmap_delivery" {
  description = "\"environment\" when the map is in S3ARCHIVEFS_PREFIX_VMAPn, \"ext_file\" when it is in the S3 object."
  value       = local.use_ext_file ? "ext_file" : "environment"
}

output "vmap_environment_bytes" {
  description = "Conservative size in bytes of the environment with the map inline (the ext file takes over above 4096)."
  value       = local.inline_env_bytes
}

output "vmap_ext_file" {
  description = "s3:// URL of the VMAP ext file, or null when the map is inline."
  value       = local.ext_file_url
}

output "archive_object_arns" {
  description = "The archive objects the function may read (s3:GetObject), one per distinct VMAP target."
  value       = local.archive_object_arns
}
