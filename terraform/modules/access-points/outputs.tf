output "object_lambda_access_point_arn" {
  description = "ARN of the Object Lambda access point (usable as the bucket in SDKs and the AWS CLI)."
  value       = aws_s3control_object_lambda_access_point.this.arn
}

output "object_lambda_access_point_alias" {
  description = "Alias of the Object Lambda access point: a bucket-like name any S3 client accepts as the bucket."
  value       = aws_s3control_object_lambda_access_point.this.alias
}

output "object_lambda_access_point_name" {
  description = "Name of the Object Lambda access point (the AccessPointName dimension of its CloudWatch metrics)."
  value       = aws_s3control_object_lambda_access_point.this.name
}

output "supporting_access_point_arn" {
  description = "ARN of the supporting access point (built from its name, so it is known at plan time)."
  value       = local.supporting_ap_arn
}

output "supporting_access_point_alias" {
  description = "Alias of the supporting access point."
  value       = aws_s3_access_point.supporting.alias
}

output "client_policy_json" {
  description = "IAM policy a reader's role needs to use the Object Lambda access point: attach it (or its statements) to the roles in reader_principal_arns."
  value       = data.aws_iam_policy_document.client.json
}

output "bucket_delegation_policy_json" {
  description = "The bucket policy statement that delegates access control to this account's access points (applied only when manage_bucket_policy is true; otherwise merge it into the bucket's policy yourself)."
  value       = data.aws_iam_policy_document.bucket_delegation.json
}
