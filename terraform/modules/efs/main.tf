resource "aws_efs_file_system" "this" {
  creation_token   = var.name
  encrypted        = true
  kms_key_id       = var.kms_key_arn
  performance_mode = var.performance_mode
  throughput_mode  = var.throughput_mode

  provisioned_throughput_in_mibps = var.throughput_mode == "provisioned" ? var.provisioned_throughput_mibps : null

  dynamic "lifecycle_policy" {
    for_each = var.transition_to_ia == null ? [] : [var.transition_to_ia]
    content {
      transition_to_ia = lifecycle_policy.value
    }
  }

  dynamic "lifecycle_policy" {
    for_each = var.transition_to_ia != null && var.transition_to_primary_on_access ? ["AFTER_1_ACCESS"] : []
    content {
      transition_to_primary_storage_class = lifecycle_policy.value
    }
  }

  tags = { Name = var.name }

  lifecycle {
    precondition {
      condition     = var.throughput_mode != "provisioned" || var.provisioned_throughput_mibps != null
      error_message = "throughput_mode \"provisioned\" needs provisioned_throughput_mibps."
    }
  }
}

resource "aws_security_group" "this" {
  name        = "${var.name}-efs"
  description = "EFS mount targets of ${var.name}: NFS from the function only"
  vpc_id      = var.vpc_id

  tags = { Name = "${var.name}-efs" }
}

resource "aws_vpc_security_group_ingress_rule" "nfs_from_clients" {
  security_group_id            = aws_security_group.this.id
  description                  = "NFS from the function's security group"
  ip_protocol                  = "tcp"
  from_port                    = 2049
  to_port                      = 2049
  referenced_security_group_id = var.client_security_group_id
}

resource "aws_efs_mount_target" "this" {
  count = length(var.subnet_ids)

  file_system_id  = aws_efs_file_system.this.id
  subnet_id       = var.subnet_ids[count.index]
  security_groups = [aws_security_group.this.id]
}

resource "aws_efs_access_point" "this" {
  file_system_id = aws_efs_file_system.this.id

  posix_user {
    uid = var.posix_uid
    gid = var.posix_gid
  }

  root_directory {
    path = var.root_directory
    creation_info {
      owner_uid   = var.posix_uid
      owner_gid   = var.posix_gid
      permissions = var.root_permissions
    }
  }

  tags = { Name = var.name }
}

# ---------------------------------------------------------------------------
# File system policy. Without one, EFS grants full access to any client
# that reaches a mount target, and the function role's condition on the
# access point would enforce nothing. With it: only the function's role,
# only through its access point and a mount target, never as root, and
# never without TLS (Lambda's mount has no option for it and is relied on
# to use TLS, unverified offline; any plain-text mount fails).
#
# The role is created in the same apply: the principal is this account and
# the role a condition, so EFS never has to resolve a principal IAM has not
# yet propagated.

data "aws_partition" "current" {}
data "aws_caller_identity" "current" {}

data "aws_iam_policy_document" "file_system" {
  statement {
    sid       = "FunctionMountsThroughItsAccessPoint"
    actions   = ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"]
    resources = [aws_efs_file_system.this.arn]
    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
    condition {
      test     = "ArnEquals"
      variable = "aws:PrincipalArn"
      values   = [var.client_role_arn]
    }
    condition {
      test     = "StringEquals"
      variable = "elasticfilesystem:AccessPointArn"
      values   = [aws_efs_access_point.this.arn]
    }
    condition {
      test     = "Bool"
      variable = "elasticfilesystem:AccessedViaMountTarget"
      values   = ["true"]
    }
  }

  statement {
    sid       = "DenyWithoutTLS"
    effect    = "Deny"
    actions   = ["*"]
    resources = [aws_efs_file_system.this.arn]
    principals {
      type        = "AWS"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_efs_file_system_policy" "this" {
  file_system_id = aws_efs_file_system.this.id
  policy         = data.aws_iam_policy_document.file_system.json
}
