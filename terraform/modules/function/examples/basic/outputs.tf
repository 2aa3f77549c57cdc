output "environment" {
  description = "The function's environment."
  value       = module.function.environment
}
