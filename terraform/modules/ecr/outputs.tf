output "repository_url" {
  description = "Where to push: <account>.dkr.ecr.<region>.amazonaws.com/<name> (add :<tag> or @sha256:<digest> for image_uri)."
  value       = aws_ecr_repository.this.repository_url
}

output "repository_arn" {
  description = "ARN of the repository."
  value       = aws_ecr_repository.this.arn
}

output "repository_name" {
  description = "Name of the repository."
  value       = aws_ecr_repository.this.name
}
