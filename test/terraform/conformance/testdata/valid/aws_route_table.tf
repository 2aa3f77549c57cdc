resource "aws_route_table" "this" {
  vpc_id = "vpc-0123456789abcdef0"
  tags   = { Name = "private" }
}
