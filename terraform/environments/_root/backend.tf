# State in S3, encrypted. The bucket, key, region and the locking method are
# per environment and come from backend.hcl (copy backend.hcl.example):
# S3-native locking (use_lockfile) with Terraform >= 1.10, or a DynamoDB
# table with older versions (the stack itself needs Terraform >= 1.5).
#
#   terraform init -backend-config=backend.hcl
#
# Offline checks run `terraform init -backend=false` and never read it.
terraform {
  backend "s3" {
    encrypt = true
  }
}
