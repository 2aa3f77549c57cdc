data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.region
  account_id = data.aws_caller_identity.current.account_id

  # Built from names (known at plan) rather than read back from the
  # resources, so the policies below are readable in `terraform plan`.
  supporting_ap_arn = "arn:${local.partition}:s3:${local.region}:${local.account_id}:accesspoint/${var.supporting_access_point_name}"
  olap_arn          = "arn:${local.partition}:s3-object-lambda:${local.region}:${local.account_id}:accesspoint/${var.object_lambda_access_point_name}"
  bucket_arn        = "arn:${local.partition}:s3:::${var.bucket_name}"

  readers = length(var.reader_principal_arns) > 0 ? var.reader_principal_arns : ["arn:${local.partition}:iam::${local.account_id}:root"]

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

  statement {
    sid       = "FunctionListsRealObjects"
    actions   = ["s3:ListBucket"]
    resources = [local.supporting_ap_arn]
    principals {
      type        = "AWS"
      identifiers = [var.function_role_arn]
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

  statement {
    sid       = "InvokeTheFunctionViaObjectLambda"
    actions   = ["lambda:InvokeFunction"]
    resources = [var.function_arn]
    condition {
      test     = "ForAnyValue:StringEquals"
      variable = "aws:CalledVia"
      values   = [local.called_via]
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
