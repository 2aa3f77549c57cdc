variable "name" {
  type        = string
  description = "Name of this deployment (for example \"s3archivefs-dev\"): the function, the Object Lambda access point (this name), the supporting access point (<name>-src), the VPC, alarms and dashboard are named after it."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,34}[a-z0-9]$", var.name))
    error_message = "name must be 3 to 36 lowercase letters, digits and '-', start with a letter and end with a letter or digit (it becomes access point and function names)."
  }
}

variable "frontend" {
  type        = string
  description = "Which front serves the archives: \"object_lambda\" (an S3 Object Lambda access point; only for accounts that already used Object Lambda before 7 November 2025), \"function_url\" (a plain S3 endpoint on a Lambda function URL, any account) or \"both\"."
  default     = "object_lambda"

  validation {
    condition     = contains(["object_lambda", "function_url", "both"], var.frontend)
    error_message = "frontend must be \"object_lambda\", \"function_url\" or \"both\"."
  }
}

variable "bucket_name" {
  type        = string
  description = "Bucket the Object Lambda access point serves: keys under no virtual prefix pass through to it, and listings merge its real objects with the virtual ones. It must exist (this stack does not create it)."
}

variable "prefix_vmap" {
  type        = map(string)
  description = "Virtual prefix map, validated here, where the environments pass it: key = virtual prefix under the access point (leading/trailing '/' ignored), value = the squashfs archive that serves it, as s3://bucket/key. Example: { \"datasets/linux-6.1\" = \"s3://my-archives/archives/linux-6.1.sqfs\" }."

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
  description = "Bucket for the VMAP ext file (used only when the map has more than 20 entries or exceeds Lambda's 4 KB environment)."
  default     = null
}

variable "vmap_ext_key" {
  type        = string
  description = "Key of the VMAP ext file; null: \"s3archivefs/<name>/vmap.txt\"."
  default     = null
}

variable "architecture" {
  type        = string
  description = "Instruction set of the function and the layer: \"arm64\" or \"x86_64\"."
  default     = "arm64"
}

variable "package_type" {
  type        = string
  description = "How the function is deployed: \"Zip\" (function_zip_path, with the layer from layer_zip_path) or \"Image\" (image_uri, the container image from `make image`; no layer)."
  default     = "Zip"

  validation {
    condition     = contains(["Zip", "Image"], var.package_type)
    error_message = "package_type must be \"Zip\" or \"Image\"."
  }
}

variable "function_zip_path" {
  type        = string
  description = "Path of the function zip (`make package` writes dist/function-<arch>.zip); package_type = \"Zip\"."
  default     = null
}

variable "image_uri" {
  type        = string
  description = "The function's container image (package_type = \"Image\"), by digest: <account>.dkr.ecr.<region>.amazonaws.com/<repository>@sha256:<digest>."
  default     = null
}

variable "create_ecr_repository" {
  type        = bool
  description = "Create the ECR repository <name> (immutable tags, scan on push, lifecycle policy) to push the image to. Create it before the first image deploy: apply with it true, `make image-push`, then set image_uri and package_type = \"Image\"."
  default     = false
}

variable "layer_zip_path" {
  type        = string
  description = "Path of the libsquashfs layer zip (`make package` writes dist/layer-<arch>.zip); null: no layer, pure Go decompression."
  default     = null
}

variable "enable_vpc" {
  type        = bool
  description = "true: the function runs in private subnets of a new VPC (NAT gateway, S3 gateway endpoint) with its chunk cache on EFS, shared by every instance and kept across cold starts. false: no VPC, NAT or EFS (nothing billed by the hour); the cache lives in each instance's /tmp."
  default     = true
}

variable "vpc_cidr" {
  type        = string
  description = "CIDR block of the VPC (enable_vpc only)."
  default     = "10.42.0.0/16"
}

variable "azs" {
  type        = list(string)
  description = "Availability zones for the private subnets and EFS mount targets (enable_vpc only), e.g. [\"eu-west-1a\", \"eu-west-1b\"]. Empty: the region's first az_count available zones."
  default     = []
}

variable "az_count" {
  type        = number
  description = "How many availability zones to use when azs is empty (enable_vpc only): the first ones, by name, of those the region reports available."
  default     = 2

  validation {
    condition     = var.az_count >= 1 && var.az_count <= 6 && floor(var.az_count) == var.az_count
    error_message = "az_count must be a whole number from 1 to 6."
  }
}

variable "nat_gateway_mode" {
  type        = string
  description = "\"single\" NAT gateway or one \"per_az\" (enable_vpc only)."
  default     = "single"
}

variable "enable_flow_logs" {
  type        = bool
  description = "VPC flow logs to CloudWatch Logs (enable_vpc only)."
  default     = false
}

variable "efs_throughput_mode" {
  type        = string
  description = "EFS throughput mode: \"elastic\", \"bursting\" or \"provisioned\"."
  default     = "elastic"
}

variable "efs_transition_to_ia" {
  type        = string
  description = "EFS lifecycle: move cache chunks unread for this long to Infrequent Access (e.g. \"AFTER_30_DAYS\"); null never."
  default     = "AFTER_30_DAYS"
}

variable "memory_size" {
  type        = number
  description = "Function memory in MB."
  default     = 1024
}

variable "timeout" {
  type        = number
  description = "Function timeout in seconds (at most 60: Object Lambda's own limit)."
  default     = 60
}

variable "ephemeral_storage_mb" {
  type        = number
  description = "Size of /tmp in MB (the cache lives there when enable_vpc is false)."
  default     = 512
}

variable "reserved_concurrency" {
  type        = number
  description = "Reserved (and maximum) concurrency of the function; null: unreserved."
  default     = null
}

variable "cache_chunk_size" {
  type        = number
  description = "S3ARCHIVEFS_CACHE_CHUNK_SIZE in bytes (power of two, 4 KiB to 8 MiB, or 0 for the archive's block size)."
  default     = 1048576
}

variable "cache_max_bytes" {
  type        = number
  description = "S3ARCHIVEFS_CACHE_MAX_BYTES: cap on the chunk cache in bytes."
  default     = 402653184
}

variable "revalidate_interval" {
  type        = string
  description = "S3ARCHIVEFS_REVALIDATE_INTERVAL: how long an open archive is trusted before its ETag is checked again (Go duration)."
  default     = "30s"
}

variable "log_level" {
  type        = string
  description = "S3ARCHIVEFS_LOG_LEVEL: debug, info, warn or error."
  default     = "info"
}

variable "log_retention_days" {
  type        = number
  description = "Retention of the function's logs, in days."
  default     = 30
}

variable "archive_kms_key_arns" {
  type        = list(string)
  description = "KMS keys of SSE-KMS archives (kms:Decrypt is granted on exactly these)."
  default     = []
}

variable "reader_principal_arns" {
  type        = list(string)
  description = "The only principals that may read through the Object Lambda access point (its policy denies everyone else); empty: any principal of this account that its own IAM allows."
  default     = []
}

variable "bucket_kms_key_arns" {
  type        = list(string)
  description = "KMS keys of bucket_name's SSE-KMS objects: client_policy_json grants readers kms:Decrypt on them, which pass-through GETs need."
  default     = []
}

variable "manage_bucket_policy" {
  type        = bool
  description = "Write bucket_name's policy delegating access control to its access points. It replaces any existing bucket policy, and `terraform destroy` then deletes the bucket's whole policy."
  default     = false
}

variable "alarm_actions" {
  type        = list(string)
  description = "ARNs (SNS topics) notified by the alarms."
  default     = []
}

variable "create_alarm_topic" {
  type        = bool
  description = "Create an SNS topic <name>-alarms that the alarms notify (subscribe to it)."
  default     = false
}

variable "alarm_topic_kms_key_arn" {
  type        = string
  description = "Customer KMS key for the alarm topic (its policy must admit cloudwatch.amazonaws.com); null: unencrypted."
  default     = null
}

variable "require_alarm_actions" {
  type        = bool
  description = "Fail the plan when the alarms would notify no one."
  default     = false
}

# ---------------------------------------------------------------------------
# The function URL front (frontend = "function_url" or "both").

variable "real_allowed_prefixes" {
  type        = list(string)
  description = "Key prefixes of bucket_name the function URL front may read and list with its role; [\"\"]: the whole bucket. Each access key's allow_prefixes (in the secret) narrows it further."
  default     = [""]
}

variable "keys_secret_arn" {
  type        = string
  description = "An existing Secrets Manager secret with the access keys (JSON); null: the stack creates an empty one, <function>/access-keys, to put the value into. The value is never a Terraform variable."
  default     = null
}

variable "keys_kms_key_arn" {
  type        = string
  description = "Customer KMS key of the keys secret; null: the AWS managed aws/secretsmanager key."
  default     = null
}

variable "url_timeout" {
  type        = number
  description = "Timeout of the function URL front in seconds (at most 900)."
  default     = 300
}

variable "url_reserved_concurrency" {
  type        = number
  description = "Reserved (and maximum) concurrency of the function URL front: the URL is public, so this caps what a flood of requests can cost."
  default     = 50
}

variable "url_ephemeral_storage_mb" {
  type        = number
  description = "/tmp of the function URL front in MB (its chunk cache: it runs outside the VPC, without EFS)."
  default     = 2048
}

variable "url_cache_max_bytes" {
  type        = number
  description = "S3ARCHIVEFS_CACHE_MAX_BYTES of the function URL front (below url_ephemeral_storage_mb)."
  default     = 1610612736
}
