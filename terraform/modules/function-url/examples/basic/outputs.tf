output "function_url" {
  description = "The S3 endpoint."
  value       = module.function_url.function_url
}

output "keys_secret_arn" {
  description = "Where to put the access keys."
  value       = module.function_url.keys_secret_arn
}
