terraform {
  # Terraform >= 1.5 runs the stack; S3-native state locking (use_lockfile
  # in backend.hcl) needs >= 1.10, see backend.hcl.example.
  required_version = ">= 1.5"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # Exact: the version the offline checks' schema comes from. The first
      # real `terraform init` writes .terraform.lock.hcl with its checksums;
      # commit that file (see terraform/README.md).
      version = "= 6.25.0"
    }
  }

  # State in S3, encrypted. Bucket, key, region and locking come from
  # backend.hcl (copy backend.hcl.example): terraform init -backend-config=backend.hcl
  backend "s3" {
    encrypt = true
  }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = merge(var.tags, {
      Project     = "s3archivefs"
      Environment = local.environment
      ManagedBy   = "terraform"
    })
  }
}
