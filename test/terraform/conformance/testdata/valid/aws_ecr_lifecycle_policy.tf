resource "aws_ecr_lifecycle_policy" "this" {
  repository = "s3archivefs-conformance"
  policy = jsonencode({
    rules = [{ rulePriority = 1, selection = { tagStatus = "any", countType = "imageCountMoreThan", countNumber = 10 }, action = { type = "expire" } }]
  })
}
