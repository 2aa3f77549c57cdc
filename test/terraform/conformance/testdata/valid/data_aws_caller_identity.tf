data "aws_caller_identity" "this" {}
