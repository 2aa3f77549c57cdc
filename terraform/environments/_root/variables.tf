# The environment's knobs. Values live in terraform.tfvars; the modules
# validate them (the VMAP in modules/function).

variable "environment" {
  type        = string
  description = "Environment name, used in resource names and the Environment tag (\"dev\", \"prod\")."

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{1,9}$", var.environment))
    error_message = "environment must be 2 to 10 lowercase letters or digits, starting with a letter."
  }
}

variable "region" {
  type        = string
  description = "AWS region to deploy to; the Object Lambda access point, the function, the bucket and the archives must all be in it."

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
  description = "Existing bucket the Object Lambda access point serves (pass-through keys and the real side of listings)."
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

variable "architecture" {
  type        = string
  description = "\"arm64\" or \"x86_64\"; selects dist/function-<arch>.zip and dist/layer-<arch>.zip."
  default     = "arm64"
}

variable "dist_dir" {
  type        = string
  description = "Directory holding the zips `make package` builds; null: the repository's dist/."
  default     = null
}

variable "enable_layer" {
  type        = bool
  description = "Attach the libsquashfs layer (native decompression); false: pure Go."
  default     = true
}

variable "enable_vpc" {
  type        = bool
  description = "VPC + NAT + EFS cache (true) or none of them, cache on /tmp (false, cheapest)."
  default     = false
}

variable "vpc_cidr" {
  type        = string
  description = "CIDR of the VPC (enable_vpc)."
  default     = "10.42.0.0/16"
}

variable "azs" {
  type        = list(string)
  description = "Availability zones of the private subnets (enable_vpc)."
  default     = []
}

variable "nat_gateway_mode" {
  type        = string
  description = "\"single\" or \"per_az\" NAT gateways (enable_vpc)."
  default     = "single"
}

variable "enable_flow_logs" {
  type        = bool
  description = "VPC flow logs (enable_vpc)."
  default     = false
}

variable "memory_size" {
  type        = number
  description = "Function memory in MB."
  default     = 1024
}

variable "ephemeral_storage_mb" {
  type        = number
  description = "Function /tmp size in MB."
  default     = 512
}

variable "reserved_concurrency" {
  type        = number
  description = "Reserved concurrency of the function; null: unreserved."
  default     = null
}

variable "cache_chunk_size" {
  type        = number
  description = "S3ARCHIVEFS_CACHE_CHUNK_SIZE in bytes."
  default     = 1048576
}

variable "cache_max_bytes" {
  type        = number
  description = "S3ARCHIVEFS_CACHE_MAX_BYTES in bytes."
  default     = 402653184
}

variable "revalidate_interval" {
  type        = string
  description = "S3ARCHIVEFS_REVALIDATE_INTERVAL (Go duration)."
  default     = "30s"
}

variable "log_level" {
  type        = string
  description = "S3ARCHIVEFS_LOG_LEVEL."
  default     = "info"
}

variable "log_retention_days" {
  type        = number
  description = "Retention of the function's logs, in days."
  default     = 30
}

variable "reader_principal_arns" {
  type        = list(string)
  description = "Principals allowed to read through the access point; empty: this account's principals whose IAM allows it."
  default     = []
}

variable "archive_kms_key_arns" {
  type        = list(string)
  description = "KMS keys of SSE-KMS archives; the function may decrypt with exactly these."
  default     = []
}

variable "manage_bucket_policy" {
  type        = bool
  description = "Write bucket_name's policy delegating access control to its access points; it REPLACES any existing bucket policy (see modules/access-points)."
  default     = false
}

variable "alarm_actions" {
  type        = list(string)
  description = "SNS topic ARNs the alarms notify."
  default     = []
}
