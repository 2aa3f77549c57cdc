resource "aws_security_group" "this" {
  name        = "conformance"
  description = "Function egress only"
  vpc_id      = "vpc-0123456789abcdef0"
  tags        = { Name = "conformance" }
}
