data "aws_region" "this" {}
