provider "aws" {
  region = var.region

  default_tags {
    tags = { Project = "s3archivefs", Example = "function-url-basic" }
  }
}
