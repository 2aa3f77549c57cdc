output "private_subnet_ids" {
  description = "Private subnets."
  value       = module.network.private_subnet_ids
}
