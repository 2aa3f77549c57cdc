resource "aws_efs_access_point" "this" {
  file_system_id = "fs-0123456789abcdef0"

  posix_user {
    uid = 1000
    gid = 1000
  }

  root_directory {
    path = "/cache"
    creation_info {
      owner_uid   = 1000
      owner_gid   = 1000
      permissions = "0750"
    }
  }
}
