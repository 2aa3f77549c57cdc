resource "aws_internet_gateway" "this" {
  vpc_id = "vpc-0123456789abcdef0"
  tags   = { Name = "conformance" }
}
