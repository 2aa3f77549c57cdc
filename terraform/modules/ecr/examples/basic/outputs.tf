output "repository_url" {
  description = "Where `make image-push` pushes."
  value       = module.ecr.repository_url
}
