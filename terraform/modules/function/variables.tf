variable "name" {
  type        = string
  description = "Function name; also names its role, log group and security group."

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,56}$", var.name))
    error_message = "name must be 1 to 56 letters, digits, '_' or '-' (Lambda allows 64; the role name adds a suffix)."
  }
}

variable "zip_path" {
  type        = string
  description = "Path of the function zip built by `make package` (dist/function-<arch>.zip, holding the `bootstrap` executable). Its sha256 is the source_code_hash, so an unchanged build deploys nothing."

  validation {
    condition     = fileexists(var.zip_path)
    error_message = "zip_path names no file: build the function first with `make package` (it writes dist/function-<arch>.zip)."
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
  description = "Timeout in seconds. S3 Object Lambda gives a request 60 seconds at most, so a longer timeout only wastes money."
  default     = 60

  validation {
    condition     = var.timeout >= 1 && var.timeout <= 60 && floor(var.timeout) == var.timeout
    error_message = "timeout must be a whole number of seconds between 1 and 60 (Object Lambda stops waiting after 60 s)."
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
  description = "S3ARCHIVEFS_LOG_LEVEL: \"debug\", \"info\" (one line per request), \"warn\" or \"error\"."
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
  description = "Virtual prefix map: key = virtual prefix under the access point (leading/trailing '/' ignored), value = the squashfs archive that serves it, as s3://bucket/key. Example: { \"datasets/linux-6.1\" = \"s3://my-archives/archives/linux-6.1.sqfs\" }."

  validation {
    condition     = length(var.prefix_vmap) >= 1
    error_message = "prefix_vmap is empty: map at least one virtual prefix to an archive, e.g. { \"datasets/linux-6.1\" = \"s3://my-archives/archives/linux-6.1.sqfs\" }."
  }

  validation {
    condition     = length([for k in keys(var.prefix_vmap) : k if trim(k, "/") == "" || strcontains(k, "|") || can(regex("[[:cntrl:]]", k)) || k != trimspace(k) || startswith(trim(k, "/"), "#") || length([for seg in split("/", trim(k, "/")) : seg if contains(["", ".", ".."], seg)]) > 0]) == 0
    error_message = "prefix_vmap: invalid virtual prefix ${join(", ", [for k in keys(var.prefix_vmap) : jsonencode(k) if trim(k, "/") == "" || strcontains(k, "|") || can(regex("[[:cntrl:]]", k)) || k != trimspace(k) || startswith(trim(k, "/"), "#") || length([for seg in split("/", trim(k, "/")) : seg if contains(["", ".", ".."], seg)]) > 0])}: a prefix is one or more path segments such as \"datasets/linux-6.1\" (leading and trailing '/' are ignored); it must not contain '|' (the separator in S3ARCHIVEFS_PREFIX_VMAPn), a control character such as a newline, an empty, \".\" or \"..\" segment, or spaces at either end, nor start with '#' (a comment in the ext file)."
  }

  validation {
    condition     = length(distinct([for k in keys(var.prefix_vmap) : trim(k, "/")])) == length(var.prefix_vmap)
    error_message = "prefix_vmap: duplicate virtual prefixes once leading and trailing '/' are trimmed: ${join(", ", [for k in keys(var.prefix_vmap) : jsonencode(k) if length([for k2 in keys(var.prefix_vmap) : k2 if trim(k2, "/") == trim(k, "/")]) > 1])}. Keep one of each."
  }

  validation {
    condition     = length([for k, v in var.prefix_vmap : k if !can(regex("^s3://[^/]+/.+$", v))]) == 0
    error_message = "prefix_vmap: the archive of ${join(", ", [for k, v in var.prefix_vmap : "${jsonencode(k)} (${jsonencode(v)})" if !can(regex("^s3://[^/]+/.+$", v))])} is not of the form s3://bucket/key."
  }

  validation {
    condition = length([for k, v in var.prefix_vmap : k if can(regex("^s3://[^/]+/.+$", v)) && !(
      can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", split("/", v)[2])) &&
      !strcontains(split("/", v)[2], "..") &&
      !can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+$", split("/", v)[2])) &&
      !startswith(split("/", v)[2], "xn--") &&
      !startswith(split("/", v)[2], "sthree-") &&
      !startswith(split("/", v)[2], "amzn-s3-demo-") &&
      !endswith(split("/", v)[2], "-s3alias") &&
      !endswith(split("/", v)[2], "--ol-s3")
    )]) == 0
    error_message = "prefix_vmap: invalid bucket name in ${join(", ", [for k, v in var.prefix_vmap : "${jsonencode(k)} (${jsonencode(v)})" if can(regex("^s3://[^/]+/.+$", v)) && !(can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", split("/", v)[2])) && !strcontains(split("/", v)[2], "..") && !can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+$", split("/", v)[2])) && !startswith(split("/", v)[2], "xn--") && !startswith(split("/", v)[2], "sthree-") && !startswith(split("/", v)[2], "amzn-s3-demo-") && !endswith(split("/", v)[2], "-s3alias") && !endswith(split("/", v)[2], "--ol-s3"))])}: a bucket name is 3 to 63 lowercase letters, digits, '.' and '-', starts and ends with a letter or digit, has no \"..\", is not an IP address, does not start with a reserved prefix (xn--, sthree-, amzn-s3-demo-), and is not an access point alias (IAM grants on an alias do not apply: name the bucket itself)."
  }

  validation {
    condition     = length([for k, v in var.prefix_vmap : k if can(regex("^s3://[^/]+/.+$", v)) && (endswith(v, "/") || v != trimspace(v) || strcontains(v, "|") || can(regex("[[:cntrl:]]", v)) || length(join("/", slice(split("/", v), 3, length(split("/", v))))) > 1024)]) == 0
    error_message = "prefix_vmap: invalid archive key in ${join(", ", [for k, v in var.prefix_vmap : "${jsonencode(k)} (${jsonencode(v)})" if can(regex("^s3://[^/]+/.+$", v)) && (endswith(v, "/") || v != trimspace(v) || strcontains(v, "|") || can(regex("[[:cntrl:]]", v)) || length(join("/", slice(split("/", v), 3, length(split("/", v))))) > 1024)])}: the key must name one object (not end in '/'), contain neither '|' nor a control character, not end in a space, and be at most 1024 characters."
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
# Where the function lists real objects.

variable "data_bucket_name" {
  type        = string
  description = "Bucket behind the supporting access point: the function lists its real objects (for merged listings) through the access point."

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.data_bucket_name))
    error_message = "data_bucket_name must be a bucket name: 3 to 63 lowercase letters, digits, '.' and '-'."
  }
}

variable "supporting_access_point_arn" {
  type        = string
  description = "ARN of the supporting access point (arn:<partition>:s3:<region>:<account>:accesspoint/<name>); the function may list through it."

  validation {
    condition     = can(regex("^arn:[^:]+:s3:[^:]+:[0-9]{12}:accesspoint/[a-z0-9-]{3,50}$", var.supporting_access_point_arn))
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
