resource "aws_route_table_association" "this" {
  route_table_id = "rtb-0123456789abcdef0"
  subnet_id      = "subnet-0123456789abcdef0"
}
