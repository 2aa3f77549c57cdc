variable "bucket_name" {
  type        = string
  description = "Bucket the supporting access point fronts (pass-through objects and the real side of merged listings)."

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be a bucket name: 3 to 63 lowercase letters, digits, '.' and '-'."
  }
}

variable "supporting_access_point_name" {
  type        = string
  description = "Name of the supporting (standard) access point on bucket_name."

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,48}[a-z0-9]$", var.supporting_access_point_name)) && !endswith(var.supporting_access_point_name, "-s3alias")
    error_message = "supporting_access_point_name must be 3 to 50 lowercase letters, digits and '-', starting and ending with a letter or digit."
  }
}

variable "object_lambda_access_point_name" {
  type        = string
  description = "Name of the Object Lambda access point clients address."

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,43}[a-z0-9]$", var.object_lambda_access_point_name))
    error_message = "object_lambda_access_point_name must be 3 to 45 lowercase letters, digits and '-', starting and ending with a letter or digit."
  }
}

variable "function_arn" {
  type        = string
  description = "ARN of the s3archivefs function the Object Lambda access point invokes for GetObject, HeadObject, ListObjects and ListObjectsV2."
}

variable "function_name" {
  type        = string
  description = "Name of that function: readers' InvokeFunction grant (client_policy_json) names its ARN and its $LATEST version, built from the name so the policy is readable at plan."
}

variable "function_role_arn" {
  type        = string
  description = "ARN of the function's execution role; the supporting access point's policy lets it list (merged listings)."
}

variable "reader_principal_arns" {
  type        = list(string)
  description = "IAM principals (role or user ARNs, or an account root for a whole account) that may read through the Object Lambda access point, and the only ones: the access point policy denies everyone else, whatever their own IAM allows. Empty: any principal of this account whose own IAM policy allows it (see the client_policy_json output)."
  default     = []

  validation {
    condition     = alltrue([for a in var.reader_principal_arns : can(regex("^arn:[^:]+:iam::[0-9]{12}:(root|role/.+|user/.+)$", a))])
    error_message = "Every entry of reader_principal_arns must be an IAM role, user or account-root ARN, e.g. arn:aws:iam::123456789012:role/readers."
  }
}

variable "manage_bucket_policy" {
  type        = bool
  description = "Write the bucket policy that delegates access control to this account's access points. It REPLACES any bucket policy already on bucket_name, so leave it false if the bucket has one and add the delegation statement to it by hand (see README)."
  default     = false
}

variable "kms_key_arns" {
  type        = list(string)
  description = "KMS keys of the served bucket's SSE-KMS objects: client_policy_json then grants readers kms:Decrypt on exactly these (through S3 only), which pass-through GETs need. Empty for SSE-S3."
  default     = []

  validation {
    condition     = alltrue([for a in var.kms_key_arns : can(regex("^arn:[^:]+:kms:[^:]+:[0-9]{12}:key/.+$", a))])
    error_message = "Every entry of kms_key_arns must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)."
  }
}
