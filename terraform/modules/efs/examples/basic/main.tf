# The cache file system in the private subnets of a VPC from the network
# module, open to one client security group.

module "network" {
  source = "../../../network"

  name       = "s3archivefs-example"
  cidr_block = "10.42.0.0/16"
  azs        = var.azs
}

resource "aws_security_group" "client" {
  name        = "s3archivefs-example-client"
  description = "Example EFS client"
  vpc_id      = module.network.vpc_id
}

data "aws_partition" "current" {}
data "aws_caller_identity" "current" {}

module "efs" {
  source = "../.."

  name                     = "s3archivefs-example"
  vpc_id                   = module.network.vpc_id
  subnet_ids               = module.network.private_subnet_ids
  client_security_group_id = aws_security_group.client.id
  client_role_arn          = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:role/s3archivefs-example-function"
}
