variable "name" {
  type        = string
  description = "Function name (1 to 55 letters, digits, '_' or '-'); also names its role, log group, secret (<name>/access-keys) and alarms."
}

variable "package_type" {
  type        = string
  description = "\"Zip\" (zip_path, with layer_arns) or \"Image\" (image_uri)."
  default     = "Zip"
}

variable "zip_path" {
  type        = string
  description = "The function zip (`make package`), for package_type = \"Zip\"."
  default     = null
}

variable "image_uri" {
  type        = string
  description = "The function image (ECR, by digest), for package_type = \"Image\"."
  default     = null
}

variable "layer_arns" {
  type        = list(string)
  description = "The libsquashfs layer version (zero or one ARN; zips only)."
  default     = []
}

variable "architecture" {
  type        = string
  description = "\"arm64\" or \"x86_64\"."
  default     = "arm64"
}

variable "memory_size" {
  type        = number
  description = "Memory in MB (CPU and network bandwidth grow with it)."
  default     = 1024
}

variable "timeout" {
  type        = number
  description = "Timeout in seconds, at most 900 (a function URL's limit). A streamed answer runs at about 2 MB/s after its first 6 MB, so a 200 MB answer (the most a streamed response may carry) takes about 100 s."
  default     = 300

  validation {
    condition     = var.timeout >= 1 && var.timeout <= 900 && floor(var.timeout) == var.timeout
    error_message = "timeout must be a whole number of seconds between 1 and 900 (Lambda's limit)."
  }
}

variable "ephemeral_storage_mb" {
  type        = number
  description = "Size of /tmp in MB (512 to 10240): it holds the chunk cache, as this front runs outside any VPC (no EFS)."
  default     = 2048
}

variable "reserved_concurrency" {
  type        = number
  description = "Concurrent executions reserved for, and the most allowed to, this function. The URL is public (auth NONE; the function checks SigV4), so this is what caps the cost of a flood of requests. Needs the account limit to exceed it by 100."

  validation {
    condition     = try(var.reserved_concurrency >= 1 && floor(var.reserved_concurrency) == var.reserved_concurrency, false)
    error_message = "reserved_concurrency must be a whole number >= 1: the public URL needs a cap."
  }
}

variable "log_level" {
  type        = string
  description = "S3ARCHIVEFS_LOG_LEVEL: debug, info, warn or error (the per-request line is written at every level)."
  default     = "info"
}

variable "log_retention_days" {
  type        = number
  description = "Retention of the function's log group, in days."
  default     = 30
}

variable "prefix_vmap" {
  type        = map(string)
  description = "Virtual prefix map: virtual prefix => s3://bucket/key of its squashfs archive (validated in modules/stack)."
}

variable "vmap_ext_bucket" {
  type        = string
  description = "Bucket for the VMAP ext file, when the map outgrows the environment."
  default     = null
}

variable "vmap_ext_key" {
  type        = string
  description = "Key of the VMAP ext file."
  default     = null
}

variable "archive_kms_key_arns" {
  type        = list(string)
  description = "KMS keys of SSE-KMS archives (kms:Decrypt via S3 on exactly these)."
  default     = []
}

variable "cache_chunk_size" {
  type        = number
  description = "S3ARCHIVEFS_CACHE_CHUNK_SIZE in bytes."
  default     = 1048576
}

variable "cache_max_bytes" {
  type        = number
  description = "S3ARCHIVEFS_CACHE_MAX_BYTES: keep it below ephemeral_storage_mb."
  default     = 1610612736
}

variable "revalidate_interval" {
  type        = string
  description = "S3ARCHIVEFS_REVALIDATE_INTERVAL (Go duration)."
  default     = "30s"
}

variable "real_bucket_name" {
  type        = string
  description = "S3ARCHIVEFS_REAL_BUCKET: the bucket whose real objects (keys outside the VMAP) the function reads and lists with its own role; null: only the virtual keys exist."
  default     = null
}

variable "client_bucket_name" {
  type        = string
  description = "S3ARCHIVEFS_BUCKET: the bucket name clients address (/<bucket>/<key>); null: real_bucket_name."
  default     = null
}

variable "real_allowed_prefixes" {
  type        = list(string)
  description = "Key prefixes of real_bucket_name the function may read and list; [\"\"] (default): all of it."
  default     = [""]
}

variable "real_kms_key_arns" {
  type        = list(string)
  description = "KMS keys of real_bucket_name's SSE-KMS objects (kms:Decrypt via S3)."
  default     = []
}

variable "keys_secret_arn" {
  type        = string
  description = "ARN of an existing Secrets Manager secret holding the access keys; null: this module creates an empty secret <name>/access-keys to put the value into. The value is never a Terraform input."
  default     = null

  validation {
    condition     = var.keys_secret_arn == null || can(regex("^arn:[^:]+:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:.+$", var.keys_secret_arn))
    error_message = "keys_secret_arn must be a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>-<suffix>) or null."
  }
}

variable "keys_kms_key_arn" {
  type        = string
  description = "Customer KMS key the secret is (or is to be) encrypted with; null: the AWS managed aws/secretsmanager key. The function gets kms:Decrypt on it via Secrets Manager."
  default     = null
}

variable "keys_refresh_interval" {
  type        = string
  description = "S3ARCHIVEFS_KEYS_REFRESH_INTERVAL: how often the function re-reads the secret (Go duration), so a rotated key works without a redeploy."
  default     = "5m"
}

variable "keys_recovery_window_days" {
  type        = number
  description = "Days a deleted secret can still be restored (7 to 30)."
  default     = 7

  validation {
    condition     = var.keys_recovery_window_days >= 7 && var.keys_recovery_window_days <= 30
    error_message = "keys_recovery_window_days must be between 7 and 30."
  }
}

variable "alarm_actions" {
  type        = list(string)
  description = "SNS topic ARNs the alarms notify."
  default     = []
}

variable "period_seconds" {
  type        = number
  description = "Period of the alarms, in seconds."
  default     = 300
}

variable "errors_threshold" {
  type        = number
  description = "The errors alarm fires above this many failed invocations in a period."
  default     = 0
}

variable "duration_threshold_ms" {
  type        = number
  description = "The duration alarm fires when an invocation runs longer than this (ms); set it below timeout * 1000."
  default     = 240000
}
