resource "aws_nat_gateway" "this" {
  allocation_id = "eipalloc-0123456789abcdef0"
  subnet_id     = "subnet-0123456789abcdef0"
  tags          = { Name = "conformance" }
}
