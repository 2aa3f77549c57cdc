output "access_point_arn" {
  description = "Access point to mount."
  value       = module.efs.access_point_arn
}
