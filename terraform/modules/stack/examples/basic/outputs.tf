output "cli_examples" {
  description = "CLI commands."
  value       = module.stack.cli_examples
}
