data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  partition  = data.aws_partition.current.partition
  dns_suffix = data.aws_partition.current.dns_suffix
  region     = data.aws_region.current.region
  account_id = data.aws_caller_identity.current.account_id

  # Built from names (known at plan) rather than read back from the
  # resources, so the policies below are readable in `terraform plan`.
  supporting_ap_arn = "arn:${local.partition}:s3:${local.region}:${local.account_id}:accesspoint/${var.supporting_access_point_name}"
  olap_arn          = "arn:${local.partition}:s3-object-lambda:${local.region}:${local.account_id}:accesspoint/${var.object_lambda_access_point_name}"
  bucket_arn        = "arn:${local.partition}:s3:::${var.bucket_name}"
  function_arn      = "arn:${local.partition}:lambda:${local.region}:${local.account_id}:function:${var.function_name}"
  account_root      = "arn:${local.partition}:iam::${local.account_id}:root"

  readers = length(var.reader_principal_arns) > 0 ? var.reader_principal_arns : [local.account_root]

  # reader_principal_arns, split for the Deny below: whole accounts (root
  # ARNs) match on aws:PrincipalAccount, roles and users on aws:PrincipalArn.
  reader_accounts   = [for a in var.reader_principal_arns : split(":", a)[4] if endswith(a, ":root")]
  reader_principals = [for a in var.reader_principal_arns : a if !endswith(a, ":root")]

  # Object Lambda calls the supporting access point (and the function) with
  # the caller's own credentials, marked with this aws:CalledVia value.
  called_via = "s3-object-lambda.amazonaws.com"
}

# ---------------------------------------------------------------------------
# Supporting access point.

data "aws_iam_policy_document" "supporting" {
  statement {
    sid       = "ReadersThroughObjectLambdaOnly"
    actions   = ["s3:GetObject", "s3:ListBucket"]
    resources = [local.supporting_ap_arn, "${local.supporting_ap_arn}/object/*"]
    principals {
      type        = "AWS"
      identifiers = local.readers
    }
    condition {
      test     = "ForAnyValue:StringEquals"
      variable = "aws:CalledVia"
      values   = [local.called_via]
    }
  }

  # The function's role is created in the same apply, and S3 refuses a
  # policy naming a principal IAM has not yet propagated. So the principal
  # is this account (which always exists) and the role is a condition,
  # which S3 does not resolve: the first apply succeeds with no wait.
  statement {
    sid       = "FunctionListsRealObjects"
    actions   = ["s3:ListBucket"]
    resources = [local.supporting_ap_arn]
    principals {
      type        = "AWS"
      identifiers = [local.account_root]
    }
    condition {
      test     = "ArnEquals"
      variable = "aws:PrincipalArn"
      values   = [var.function_role_arn]
    }
  }
}

resource "aws_s3_access_point" "supporting" {
  bucket = var.bucket_name
  name   = var.supporting_access_point_name
  policy = data.aws_iam_policy_document.supporting.json

  public_access_block_configuration {
    block_public_acls       = true
    block_public_policy     = true
    ignore_public_acls      = true
    restrict_public_buckets = true
  }
}

# ---------------------------------------------------------------------------
# Object Lambda access point.

resource "aws_s3control_object_lambda_access_point" "this" {
  name = var.object_lambda_access_point_name

  configuration {
    supporting_access_point     = aws_s3_access_point.supporting.arn
    cloud_watch_metrics_enabled = true
    allowed_features            = ["GetObject-Range", "GetObject-PartNumber", "HeadObject-Range", "HeadObject-PartNumber"]

    transformation_configuration {
      actions = ["GetObject", "HeadObject", "ListObjects", "ListObjectsV2"]

      content_transformation {
        aws_lambda {
          function_arn = var.function_arn
        }
      }
    }
  }
}

data "aws_iam_policy_document" "object_lambda" {
  statement {
    sid       = "Readers"
    actions   = ["s3-object-lambda:GetObject", "s3-object-lambda:ListBucket"]
    resources = [local.olap_arn, "${local.olap_arn}/object/*"]
    principals {
      type        = "AWS"
      identifiers = local.readers
    }
  }

  # An Allow alone would not keep others out: in this account, any
  # principal whose own IAM policy allows it could still read. The Deny
  # makes reader_principal_arns the complete list.
  dynamic "statement" {
    for_each = length(var.reader_principal_arns) > 0 ? [1] : []
    content {
      sid       = "OnlyTheListedReaders"
      effect    = "Deny"
      actions   = ["s3-object-lambda:GetObject", "s3-object-lambda:ListBucket"]
      resources = [local.olap_arn, "${local.olap_arn}/object/*"]
      principals {
        type        = "AWS"
        identifiers = ["*"]
      }
      dynamic "condition" {
        for_each = length(local.reader_principals) > 0 ? [1] : []
        content {
          test     = "ArnNotLike"
          variable = "aws:PrincipalArn"
          values   = local.reader_principals
        }
      }
      dynamic "condition" {
        for_each = length(local.reader_accounts) > 0 ? [1] : []
        content {
          test     = "StringNotEquals"
          variable = "aws:PrincipalAccount"
          values   = local.reader_accounts
        }
      }
    }
  }
}

resource "aws_s3control_object_lambda_access_point_policy" "this" {
  name   = aws_s3control_object_lambda_access_point.this.name
  policy = data.aws_iam_policy_document.object_lambda.json
}

# ---------------------------------------------------------------------------
# What a reader's own IAM policy needs (an output to attach to roles; not
# attached here: who reads is the operator's decision).

data "aws_iam_policy_document" "client" {
  statement {
    sid       = "ReadThroughObjectLambda"
    actions   = ["s3-object-lambda:GetObject", "s3-object-lambda:ListBucket"]
    resources = [local.olap_arn, "${local.olap_arn}/object/*"]
  }

  statement {
    sid       = "SupportingAccessPointViaObjectLambda"
    actions   = ["s3:GetObject", "s3:ListBucket"]
    resources = [local.supporting_ap_arn, "${local.supporting_ap_arn}/object/*"]
    condition {
      test     = "ForAnyValue:StringEquals"
      variable = "aws:CalledVia"
      values   = [local.called_via]
    }
  }

  # The S3 guide ("Configuring IAM policies for Object Lambda access
  # points") names the function's version for a function in the caller's
  # account, and Lambda matches a grant on the unqualified ARN only for
  # calls through that exact ARN: both are granted.
  statement {
    sid       = "InvokeTheFunctionViaObjectLambda"
    actions   = ["lambda:InvokeFunction"]
    resources = [local.function_arn, "${local.function_arn}:$LATEST"]
    condition {
      test     = "ForAnyValue:StringEquals"
      variable = "aws:CalledVia"
      values   = [local.called_via]
    }
  }

  # Pass-through GETs read real objects with the reader's own credentials
  # (the presigned URL in the event): an SSE-KMS bucket needs kms:Decrypt.
  dynamic "statement" {
    for_each = length(var.kms_key_arns) > 0 ? [1] : []
    content {
      sid       = "DecryptPassThroughObjects"
      actions   = ["kms:Decrypt"]
      resources = var.kms_key_arns
      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["s3.${local.region}.${local.dns_suffix}"]
      }
    }
  }
}

# ---------------------------------------------------------------------------
# Optional: the bucket delegates access control to this account's access
# points (AWS's documented pattern). Off by default: it replaces the bucket's
# whole policy.

data "aws_iam_policy_document" "bucket_delegation" {
  statement {
    sid       = "DelegateToOwnAccessPoints"
    actions   = ["*"]
    resources = [local.bucket_arn, "${local.bucket_arn}/*"]
    principals {
      type        = "AWS"
      identifiers = ["*"]
    }
    condition {
      test     = "StringEquals"
      variable = "s3:DataAccessPointAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_s3_bucket_policy" "delegation" {
  count = var.manage_bucket_policy ? 1 : 0

  bucket = var.bucket_name
  policy = data.aws_iam_policy_document.bucket_delegation.json
}
