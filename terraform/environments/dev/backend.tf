# State in S3 with S3-native locking (a lock object next to the state; needs
# Terraform >= 1.10 at init). The bucket, key and region are per
# environment and come from backend.hcl (copy backend.hcl.example):
#
#   terraform init -backend-config=backend.hcl
#
# Offline checks run `terraform init -backend=false` and never read it.
terraform {
  backend "s3" {
    use_lockfile = true
    encrypt      = true
  }
}
