resource "aws_vpc_security_group_ingress_rule" "this" {
  security_group_id            = "sg-0123456789abcdef0"
  referenced_security_group_id = "sg-0fedcba9876543210"
  ip_protocol                  = "tcp"
  from_port                    = 2049
  to_port                      = 2049
  description                  = "NFS from the function"
}
