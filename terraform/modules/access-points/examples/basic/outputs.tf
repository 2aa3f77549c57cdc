output "alias" {
  description = "Alias of the Object Lambda access point."
  value       = module.access_points.object_lambda_access_point_alias
}
