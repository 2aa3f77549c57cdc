output "dashboard" {
  description = "Dashboard name."
  value       = module.monitoring.dashboard_name
}
