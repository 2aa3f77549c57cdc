# What terraform.tfvars sets. The stack validates every value (the VMAP
# above all); a bad one fails `plan` at the line of main.tf that passes it,
# with a message naming the entry.

variable "region" {
  type        = string
  description = "AWS region to deploy to; the function, the access points, the bucket and the archives must all be in it."

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as \"eu-west-1\"."
  }
}

variable "tags" {
  type        = map(string)
  description = "Extra tags on every resource (added to Project, Environment and ManagedBy)."
  default     = {}
}

variable "bucket_name" {
  type        = string
  description = "Existing bucket whose real objects are served next to the archives (pass-through keys, the real side of listings)."
}

variable "prefix_vmap" {
  type        = map(string)
  description = "Virtual prefix map: virtual prefix => s3://bucket/key of the squashfs archive, e.g. { \"datasets/linux-6.1\" = \"s3://my-archives/archives/linux-6.1.sqfs\" }."
}

variable "vmap_ext_bucket" {
  type        = string
  description = "Bucket for the VMAP ext file, needed once the map has more than 20 entries or outgrows Lambda's 4 KB environment."
  default     = null
}

variable "log_level" {
  type        = string
  description = "S3ARCHIVEFS_LOG_LEVEL: debug, info, warn or error (the per-request line is written at every level)."
  default     = "info"
}

variable "dist_dir" {
  type        = string
  description = "Directory holding the zips `make package` builds; null: the repository's dist/."
  default     = null
}

variable "alarm_actions" {
  type        = list(string)
  description = "More SNS topic ARNs the alarms notify, next to the topic the stack creates."
  default     = []
}

variable "reader_principal_arns" {
  type        = list(string)
  description = "The only principals (role, user or account-root ARNs) that may read through the Object Lambda access point; empty: this account's principals whose own IAM allows it."
  default     = []
}

variable "bucket_kms_key_arns" {
  type        = list(string)
  description = "KMS keys of bucket_name's SSE-KMS objects (readers get kms:Decrypt on them in client_policy_json)."
  default     = []
}

variable "manage_bucket_policy" {
  type        = bool
  description = "Write bucket_name's policy delegating access control to its access points. It REPLACES any existing bucket policy, and `terraform destroy` deletes the bucket's whole policy: leave false if the bucket has one (see modules/access-points)."
  default     = false
}

variable "package_type" {
  type        = string
  description = "\"Zip\" (dist/function-arm64.zip and the libsquashfs layer) or \"Image\" (image_uri)."
  default     = "Zip"
}

variable "image_uri" {
  type        = string
  description = "With package_type = \"Image\": the pushed image, by digest (<account>.dkr.ecr.<region>.amazonaws.com/s3archivefs-<env>@sha256:<digest>)."
  default     = null
}

variable "create_ecr_repository" {
  type        = bool
  description = "Create the ECR repository s3archivefs-<env> to push the image to (needed before the first image deploy)."
  default     = false
}

variable "frontend" {
  type        = string
  description = "\"object_lambda\" (accounts that used S3 Object Lambda before 7 November 2025), \"function_url\" (any account: a plain S3 endpoint) or \"both\". See terraform/README.md, \"Which front\"."
  default     = "object_lambda"
}

variable "keys_secret_arn" {
  type        = string
  description = "Function URL front: an existing Secrets Manager secret with the access keys; null: an empty one is created (put the value with `aws secretsmanager put-secret-value`)."
  default     = null
}

variable "real_allowed_prefixes" {
  type        = list(string)
  description = "Function URL front: prefixes of bucket_name its role may read and list; [\"\"]: all."
  default     = [""]
}
