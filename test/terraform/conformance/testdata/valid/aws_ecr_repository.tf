resource "aws_ecr_repository" "this" {
  name                 = "s3archivefs-conformance"
  image_tag_mutability = "IMMUTABLE"

  image_scanning_configuration {
    scan_on_push = true
  }
}
