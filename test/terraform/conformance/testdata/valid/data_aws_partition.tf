data "aws_partition" "this" {}
