output "arn" {
  description = "Layer version ARN."
  value       = module.layer.arn
}
