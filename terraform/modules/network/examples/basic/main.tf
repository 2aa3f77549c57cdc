# A VPC over two AZs with one shared NAT gateway and the S3 gateway endpoint.

module "network" {
  source = "../.."

  name             = "s3archivefs-example"
  cidr_block       = "10.42.0.0/16"
  azs              = var.azs
  nat_gateway_mode = "single"
}
