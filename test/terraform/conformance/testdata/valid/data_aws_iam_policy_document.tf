data "aws_iam_policy_document" "this" {
  statement {
    sid       = "ReadArchives"
    actions   = ["s3:GetObject"]
    resources = ["arn:aws:s3:::my-archives/archives/a.sqfs"]

    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::123456789012:root"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = ["123456789012"]
    }
  }
}
