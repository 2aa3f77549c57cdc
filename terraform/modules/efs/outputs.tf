output "file_system_id" {
  description = "ID of the EFS file system."
  value       = aws_efs_file_system.this.id
}

output "file_system_arn" {
  description = "ARN of the EFS file system (IAM ClientMount/ClientWrite are granted on it)."
  value       = aws_efs_file_system.this.arn
}

output "access_point_arn" {
  description = "ARN of the access point the function mounts. Known only once every mount target exists, so a function that uses it is created after them (Lambda refuses a file system without a mount target in its AZs)."
  value       = aws_efs_access_point.this.arn
  depends_on  = [aws_efs_mount_target.this]
}

output "access_point_id" {
  description = "ID of the access point."
  value       = aws_efs_access_point.this.id
}

output "security_group_id" {
  description = "Security group of the mount targets (admits NFS from client_security_group_id only)."
  value       = aws_security_group.this.id
}

output "mount_target_ids" {
  description = "IDs of the mount targets, in the order of subnet_ids."
  value       = aws_efs_mount_target.this[*].id
}
