output "function_url" {
  description = "The S3 endpoint: pass it to clients as --endpoint-url (AWS CLI) or endpoint_url (boto3)."
  value       = aws_lambda_function_url.this.function_url
}

output "function_name" {
  description = "Name of the function behind the URL."
  value       = module.function.function_name
}

output "function_arn" {
  description = "ARN of the function behind the URL."
  value       = module.function.function_arn
}

output "log_group_name" {
  description = "Log group of the function (one JSON line per request)."
  value       = module.function.log_group_name
}

output "keys_secret_arn" {
  description = "The secret holding the access keys (put its value with `aws secretsmanager put-secret-value`)."
  value       = local.secret_arn
}

output "environment" {
  description = "The function's environment variables."
  value       = module.function.environment
}

output "vmap_delivery" {
  description = "\"environment\" or \"ext_file\": how the function receives the VMAP."
  value       = module.function.vmap_delivery
}
