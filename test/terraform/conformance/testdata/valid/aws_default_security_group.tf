# No rules: the default group of the VPC denies everything.
resource "aws_default_security_group" "this" {
  vpc_id = "vpc-0123456789abcdef0"
}
