data "aws_availability_zones" "this" {
  state = "available"
}
