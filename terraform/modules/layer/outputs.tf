output "arn" {
  description = "ARN of this layer version (with the version number): what a function's layers list takes."
  value       = aws_lambda_layer_version.this.arn
}

output "layer_arn" {
  description = "ARN of the layer without the version."
  value       = aws_lambda_layer_version.this.layer_arn
}

output "version" {
  description = "Version number published."
  value       = aws_lambda_layer_version.this.version
}

output "architecture" {
  description = "Instruction set of the layer."
  value       = var.architecture
}
