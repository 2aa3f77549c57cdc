provider "aws" {
  region = var.region

  default_tags {
    tags = merge(var.tags, {
      Project     = "s3archivefs"
      Environment = var.environment
      ManagedBy   = "terraform"
    })
  }
}
