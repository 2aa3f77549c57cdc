variable "name" {
  type        = string
  description = "Function name; also names its role, log group and security group."

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,55}$", var.name))
    error_message = "name must be 1 to 55 letters, digits, '_' or '-': Lambda allows 64, but the role is named <name>-function and IAM role names stop at 64."
  }
}

variable "package_type" {
  type        = string
  description = "\"Zip\": deploy zip_path (with the libsquashfs layer in layer_arns, if any). \"Image\": deploy the container image image_uri, whose /opt/lib already holds the layer's libraries; no layer, handler or runtime is attached."
  default     = "Zip"

  validation {
    condition     = contains(["Zip", "Image"], var.package_type)
    error_message = "package_type must be \"Zip\" or \"Image\"."
  }
}

variable "zip_path" {
  type        = string
  description = "Path of the function zip built by `make package` (dist/function-<arch>.zip, holding the `bootstrap` executable); package_type = \"Zip\" only. Its sha256 is the source_code_hash, so an unchanged build deploys nothing."
  default     = null

  validation {
    condition     = var.zip_path == null || try(fileexists(var.zip_path), false)
    error_message = "zip_path names no file: build the function first with `make package` (it writes dist/function-<arch>.zip)."
  }
}

variable "image_uri" {
  type        = string
  description = "The image to deploy with package_type = \"Image\": an ECR image in this account and region, by digest (<account>.dkr.ecr.<region>.amazonaws.com/<repo>@sha256:<digest>, preferred: it names one image forever) or by tag."
  default     = null

  validation {
    condition     = var.image_uri == null || can(regex("^[0-9]{12}\\.dkr\\.ecr\\.[a-z0-9-]+\\.amazonaws\\.com(\\.cn)?/[a-z0-9]+(?:[._/-][a-z0-9]+)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[0-9a-f]{64})$", var.image_uri))
    error_message = "image_uri must be an ECR image: <account>.dkr.ecr.<region>.amazonaws.com/<repository>@sha256:<64 hex digits> (or :<tag>)."
  }
}

variable "architecture" {
  type        = string
  description = "Instruction set: \"arm64\" (Graviton, about 20% cheaper per GB-second) or \"x86_64\". The zip and the layer must be built for it."
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.architecture)
    error_message = "architecture must be \"arm64\" or \"x86_64\"."
  }
}

variable "memory_size" {
  type        = number
  description = "Memory in MB (128 to 10240). CPU and network bandwidth grow with it; decompression is CPU-bound, so 1024 to 2048 is a good start."
  default     = 1024

  validation {
    condition     = var.memory_size >= 128 && var.memory_size <= 10240 && floor(var.memory_size) == var.memory_size
    error_message = "memory_size must be a whole number of MB between 128 and 10240."
  }
}

variable "timeout" {
  type        = number
  description = "Timeout in seconds. S3 Object Lambda gives a request 60 seconds at most (front object_lambda: 1 to 60); a function URL up to 900 (front function_url)."
  default     = 60

  validation {
    condition     = var.timeout >= 1 && var.timeout <= 900 && floor(var.timeout) == var.timeout
    error_message = "timeout must be a whole number of seconds between 1 and 900 (Lambda's limit; 60 with Object Lambda)."
  }
}

variable "ephemeral_storage_mb" {
  type        = number
  description = "Size of /tmp in MB (512 to 10240). Holds the chunk cache when EFS is off; above 512 MB it is billed per GB-second."
  default     = 512

  validation {
    condition     = var.ephemeral_storage_mb >= 512 && var.ephemeral_storage_mb <= 10240 && floor(var.ephemeral_storage_mb) == var.ephemeral_storage_mb
    error_message = "ephemeral_storage_mb must be a whole number of MB between 512 and 10240."
  }
}

variable "reserved_concurrency" {
  type        = number
  description = "Concurrent executions reserved for (and capped at) this function; null leaves it unreserved in the account's pool. 0 disables the function."
  default     = null

  validation {
    condition     = var.reserved_concurrency == null || try(var.reserved_concurrency >= 0 && floor(var.reserved_concurrency) == var.reserved_concurrency, false)
    error_message = "reserved_concurrency must be null or a whole number >= 0."
  }
}

variable "log_retention_days" {
  type        = number
  description = "Retention of the function's log group, in days."
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of the values CloudWatch Logs accepts: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

variable "log_kms_key_arn" {
  type        = string
  description = "KMS key ARN to encrypt the log group with; null uses CloudWatch Logs' own encryption. The key policy must let the logs service use it."
  default     = null
}

variable "log_level" {
  type        = string
  description = "S3ARCHIVEFS_LOG_LEVEL: \"debug\", \"info\", \"warn\" or \"error\". The function filters its own lines; the per-request line (what the monitoring module's metrics count) is written at every level."
  default     = "info"

  validation {
    condition     = contains(["debug", "info", "warn", "error"], var.log_level)
    error_message = "log_level must be \"debug\", \"info\", \"warn\" or \"error\"."
  }
}

# ---------------------------------------------------------------------------
# The virtual prefix map.

variable "prefix_vmap" {
  type        = map(string)
  description = "Virtual prefix map: key = virtual prefix (leading/trailing '/' ignored), value = the squashfs archive that serves it, as s3://bucket/key. The stack validates it in full, with messages for operators; this module only refuses what would break its own rendering."

  validation {
    condition     = length(var.prefix_vmap) >= 1 && alltrue([for k, v in var.prefix_vmap : trim(k, "/") != "" && !strcontains(k, "|") && can(regex("^s3://[^/]+/.+$", v))])
    error_message = "prefix_vmap must map at least one non-empty prefix without '|' to an s3://bucket/key URL (modules/stack checks every rule in detail)."
  }
}

variable "vmap_ext_bucket" {
  type        = string
  description = "Bucket for the VMAP ext file, written by Terraform when the map has more than 20 entries or does not fit in Lambda's 4 KB environment. Needed only then; a bucket you own, in the function's region, that Terraform may write to."
  default     = null

  validation {
    condition     = var.vmap_ext_bucket == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.vmap_ext_bucket))
    error_message = "vmap_ext_bucket must be null or a bucket name: 3 to 63 lowercase letters, digits, '.' and '-'."
  }
}

variable "vmap_ext_key" {
  type        = string
  description = "Key of the VMAP ext file in vmap_ext_bucket (one `prefix|s3://bucket/key` line per entry). Use one key per environment."
  default     = null

  validation {
    condition     = var.vmap_ext_key == null || try(length(var.vmap_ext_key) > 0 && !endswith(var.vmap_ext_key, "/") && !startswith(var.vmap_ext_key, "/") && !can(regex("[[:cntrl:]*?$]", var.vmap_ext_key)), false)
    error_message = "vmap_ext_key must be null or an object key that neither starts nor ends with '/' and holds no control character, '*', '?' or '$'."
  }
}

# ---------------------------------------------------------------------------
# Cache and engine.

variable "cache_chunk_size" {
  type        = number
  description = "S3ARCHIVEFS_CACHE_CHUNK_SIZE: bytes fetched from S3 per cache chunk, a power of two from 4 KiB to 8 MiB, or 0 for the archive's block size. Bigger chunks mean fewer S3 GETs and more bytes read per miss."
  default     = 1048576

  validation {
    condition     = var.cache_chunk_size == 0 || contains([for i in range(12, 24) : pow(2, i)], var.cache_chunk_size)
    error_message = "cache_chunk_size must be 0 (the archive's block size) or a power of two between 4096 (4 KiB) and 8388608 (8 MiB)."
  }
}

variable "cache_max_bytes" {
  type        = number
  description = "S3ARCHIVEFS_CACHE_MAX_BYTES: cap on the chunk cache's size on disk; 0 lets the function size it from the free space. On /tmp keep it below ephemeral_storage_mb; on EFS it bounds storage cost."
  default     = 402653184

  validation {
    condition     = var.cache_max_bytes >= 0 && floor(var.cache_max_bytes) == var.cache_max_bytes
    error_message = "cache_max_bytes must be a whole number of bytes >= 0."
  }
}

variable "revalidate_interval" {
  type        = string
  description = "S3ARCHIVEFS_REVALIDATE_INTERVAL: how long an open archive is trusted before its ETag is checked again (a Go duration such as \"60s\", \"5m\", \"1h\"). A replaced archive is noticed within this time."
  default     = "30s"

  validation {
    condition     = can(regex("^([0-9]+(ns|us|ms|s|m|h))+$", var.revalidate_interval))
    error_message = "revalidate_interval must be a Go duration such as \"60s\", \"5m\" or \"1h30m\"."
  }
}

variable "layer_arns" {
  type        = list(string)
  description = "The libsquashfs layer version to attach, as a list of zero or one ARN: one runs the native engine (S3ARCHIVEFS_ENGINE=native), none the pure Go engine (S3ARCHIVEFS_ENGINE=go). A list, so the choice is known at plan time even before the layer exists."
  default     = []

  validation {
    condition     = length(var.layer_arns) <= 1
    error_message = "layer_arns takes zero or one layer ARN (the libsquashfs layer)."
  }
}

# ---------------------------------------------------------------------------
# The fronts that invoke the function, and where it lists real objects.

variable "front" {
  type        = string
  description = "S3ARCHIVEFS_FRONT: \"object_lambda\" (answers S3 Object Lambda events) or \"function_url\" (a plain S3 endpoint behind a function URL, checking SigV4 itself). Chooses the grants below too."
  default     = "object_lambda"

  validation {
    condition     = contains(["object_lambda", "function_url"], var.front)
    error_message = "front must be \"object_lambda\" or \"function_url\"."
  }
}

variable "object_lambda_access_point_name" {
  type        = string
  description = "front object_lambda: name of the Object Lambda access point that invokes the function: s3-object-lambda:WriteGetObjectResponse is granted on exactly that access point (its ARN is built from the name, so there is no cycle with the access point that names the function)."
  default     = null

  validation {
    condition     = var.object_lambda_access_point_name == null || can(regex("^[a-z0-9][a-z0-9-]{1,43}[a-z0-9]$", var.object_lambda_access_point_name))
    error_message = "object_lambda_access_point_name must be 3 to 45 lowercase letters, digits and '-', starting and ending with a letter or digit."
  }
}

variable "supporting_access_point_arn" {
  type        = string
  description = "front object_lambda: ARN of the supporting access point (arn:<partition>:s3:<region>:<account>:accesspoint/<name>); the function may list through it."
  default     = null

  validation {
    condition     = var.supporting_access_point_arn == null || can(regex("^arn:[^:]+:s3:[^:]+:[0-9]{12}:accesspoint/[a-z0-9-]{3,50}$", var.supporting_access_point_arn))
    error_message = "supporting_access_point_arn must look like arn:aws:s3:eu-west-1:123456789012:accesspoint/my-access-point."
  }
}

variable "archive_kms_key_arns" {
  type        = list(string)
  description = "KMS keys the archives (and the ext file) are encrypted with, if SSE-KMS; the function gets kms:Decrypt on exactly these. Empty for SSE-S3."
  default     = []

  validation {
    condition     = alltrue([for a in var.archive_kms_key_arns : can(regex("^arn:[^:]+:kms:[^:]+:[0-9]{12}:key/.+$", a))])
    error_message = "Every entry of archive_kms_key_arns must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)."
  }
}

# ---------------------------------------------------------------------------
# VPC and EFS (all optional: without them the function runs outside any VPC with its cache on /tmp).

variable "vpc_id" {
  type        = string
  description = "VPC to run in; null runs the function outside any VPC (then subnet_ids must be empty and EFS is unavailable)."
  default     = null
}

variable "subnet_ids" {
  type        = list(string)
  description = "Private subnets to run in (with a NAT route: WriteGetObjectResponse is a public endpoint). Empty: no VPC."
  default     = []
}

variable "enable_efs" {
  type        = bool
  description = "Mount an EFS access point for the chunk cache (needs the VPC inputs and the efs_* ARNs); false keeps the cache on /tmp."
  default     = false
}

variable "efs_access_point_arn" {
  type        = string
  description = "EFS access point to mount for the chunk cache (enable_efs)."
  default     = null
}

variable "efs_file_system_arn" {
  type        = string
  description = "ARN of the file system behind efs_access_point_arn (ClientMount/ClientWrite are granted on it, through that access point only)."
  default     = null
}

variable "efs_security_group_id" {
  type        = string
  description = "Security group of the EFS mount targets: the function's security group may send NFS (2049) to it and nowhere else."
  default     = null
}

variable "efs_mount_path" {
  type        = string
  description = "Where the EFS access point is mounted (Lambda requires /mnt/<name>); S3ARCHIVEFS_CACHE_DIR points there."
  default     = "/mnt/s3archivefs"

  validation {
    condition     = can(regex("^/mnt/[A-Za-z0-9_.-]+$", var.efs_mount_path))
    error_message = "efs_mount_path must be /mnt/<name> with letters, digits, '_', '.' or '-' (a Lambda rule)."
  }
}

# ---------------------------------------------------------------------------
# front function_url (see CONTRACT in modules/function-url/README.md).

variable "real_bucket_name" {
  type        = string
  description = "front function_url: S3ARCHIVEFS_REAL_BUCKET, the bucket whose real objects (keys outside the VMAP) the function reads and lists with its own role; null: only virtual keys exist."
  default     = null

  validation {
    condition     = var.real_bucket_name == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.real_bucket_name))
    error_message = "real_bucket_name must be null or a bucket name: 3 to 63 lowercase letters, digits, '.' and '-'."
  }
}

variable "client_bucket_name" {
  type        = string
  description = "front function_url: S3ARCHIVEFS_BUCKET, the bucket name clients address; null: real_bucket_name."
  default     = null

  validation {
    condition     = var.client_bucket_name == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.client_bucket_name))
    error_message = "client_bucket_name must be null or a bucket name: 3 to 63 lowercase letters, digits, '.' and '-'."
  }
}

variable "real_allowed_prefixes" {
  type        = list(string)
  description = "front function_url: key prefixes of real_bucket_name the role may read (s3:GetObject on <prefix>*) and list (s3:ListBucket with s3:prefix); [\"\"]: the whole bucket."
  default     = [""]

  validation {
    condition     = length(var.real_allowed_prefixes) >= 1 && alltrue([for p in var.real_allowed_prefixes : !can(regex("[[:cntrl:]*?$]", p)) && !startswith(p, "/")])
    error_message = "real_allowed_prefixes must hold at least one prefix (\"\" for all), none starting with '/' or holding a control character, '*', '?' or '$'."
  }
}

variable "real_kms_key_arns" {
  type        = list(string)
  description = "front function_url: KMS keys of real_bucket_name's SSE-KMS objects (kms:Decrypt via S3)."
  default     = []
}

variable "keys_secret_arn" {
  type        = string
  description = "front function_url: S3ARCHIVEFS_KEYS_SECRET_ARN, the Secrets Manager secret with the access keys; the role may read exactly this secret."
  default     = null
}

variable "keys_kms_key_arn" {
  type        = string
  description = "front function_url: customer KMS key of that secret (kms:Decrypt via Secrets Manager); null: the AWS managed key."
  default     = null
}

variable "keys_refresh_interval" {
  type        = string
  description = "front function_url: S3ARCHIVEFS_KEYS_REFRESH_INTERVAL, how often the keys are re-read (Go duration)."
  default     = "5m"

  validation {
    condition     = can(regex("^([0-9]+(ns|us|ms|s|m|h))+$", var.keys_refresh_interval))
    error_message = "keys_refresh_interval must be a Go duration such as \"5m\"."
  }
}
