resource "aws_efs_mount_target" "this" {
  file_system_id  = "fs-0123456789abcdef0"
  subnet_id       = "subnet-0123456789abcdef0"
  security_groups = ["sg-0123456789abcdef0"]
}
