variable "name" {
  type        = string
  description = "Name prefix for every resource (for example \"s3archivefs-dev\")."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,40}$", var.name))
    error_message = "name must start with a lowercase letter and hold only lowercase letters, digits and '-', at most 41 characters."
  }
}

variable "vpc_id" {
  type        = string
  description = "ID of the VPC the file system's security group belongs to."
}

variable "subnet_ids" {
  type        = list(string)
  description = "Private subnets to place one mount target in each (one per AZ the function runs in)."

  validation {
    condition     = length(var.subnet_ids) >= 1
    error_message = "subnet_ids must hold at least one subnet: the function can only mount EFS in an AZ that has a mount target."
  }
}

variable "client_security_group_id" {
  type        = string
  description = "Security group of the clients (the function). NFS (TCP 2049) is admitted from this group only."
}

variable "kms_key_arn" {
  type        = string
  description = "KMS key ARN for encryption at rest; null uses the AWS managed key aws/elasticfilesystem. The file system is encrypted either way."
  default     = null
}

variable "performance_mode" {
  type        = string
  description = "\"generalPurpose\" (lowest latency, right for a chunk cache) or \"maxIO\"."
  default     = "generalPurpose"

  validation {
    condition     = contains(["generalPurpose", "maxIO"], var.performance_mode)
    error_message = "performance_mode must be \"generalPurpose\" or \"maxIO\"."
  }
}

variable "throughput_mode" {
  type        = string
  description = "\"elastic\" (pay per GB transferred, follows the load), \"bursting\" (credits grow with stored size) or \"provisioned\" (set provisioned_throughput_mibps)."
  default     = "elastic"

  validation {
    condition     = contains(["elastic", "bursting", "provisioned"], var.throughput_mode)
    error_message = "throughput_mode must be \"elastic\", \"bursting\" or \"provisioned\"."
  }
}

variable "provisioned_throughput_mibps" {
  type        = number
  description = "Provisioned throughput in MiB/s; used only when throughput_mode is \"provisioned\"."
  default     = null

  validation {
    condition     = var.provisioned_throughput_mibps == null || try(var.provisioned_throughput_mibps >= 1, false)
    error_message = "provisioned_throughput_mibps must be at least 1 (MiB/s)."
  }
}

variable "transition_to_ia" {
  type        = string
  description = "Move cache chunks not read for this long to Infrequent Access (cheaper storage, per-GB read charge), e.g. \"AFTER_30_DAYS\"; null keeps everything in Standard."
  default     = "AFTER_30_DAYS"

  validation {
    condition     = var.transition_to_ia == null || contains(["AFTER_1_DAY", "AFTER_7_DAYS", "AFTER_14_DAYS", "AFTER_30_DAYS", "AFTER_60_DAYS", "AFTER_90_DAYS", "AFTER_180_DAYS", "AFTER_270_DAYS", "AFTER_365_DAYS"], var.transition_to_ia)
    error_message = "transition_to_ia must be null or one of AFTER_1_DAY, AFTER_7_DAYS, AFTER_14_DAYS, AFTER_30_DAYS, AFTER_60_DAYS, AFTER_90_DAYS, AFTER_180_DAYS, AFTER_270_DAYS, AFTER_365_DAYS."
  }
}

variable "transition_to_primary_on_access" {
  type        = bool
  description = "Move a chunk back to Standard the first time it is read from Infrequent Access (recommended for a cache: hot chunks stop paying IA read charges)."
  default     = true
}

variable "posix_uid" {
  type        = number
  description = "POSIX user id the function acts as on the file system (through the access point)."
  default     = 1000

  validation {
    condition     = var.posix_uid >= 0 && var.posix_uid == floor(var.posix_uid)
    error_message = "posix_uid must be a non-negative integer."
  }
}

variable "posix_gid" {
  type        = number
  description = "POSIX group id the function acts as on the file system."
  default     = 1000

  validation {
    condition     = var.posix_gid >= 0 && var.posix_gid == floor(var.posix_gid)
    error_message = "posix_gid must be a non-negative integer."
  }
}

variable "root_directory" {
  type        = string
  description = "Directory on the file system the access point exposes as its root; created on first use, owned by posix_uid/posix_gid."
  default     = "/s3archivefs"

  validation {
    condition     = can(regex("^/[A-Za-z0-9._/-]*$", var.root_directory)) && !strcontains(var.root_directory, "..")
    error_message = "root_directory must be an absolute path such as \"/s3archivefs\" made of letters, digits, '.', '_', '-' and '/', without \"..\"."
  }
}

variable "root_permissions" {
  type        = string
  description = "Octal permissions of the root directory when the access point creates it."
  default     = "0750"

  validation {
    condition     = can(regex("^0?[0-7]{3}$", var.root_permissions))
    error_message = "root_permissions must be octal permissions such as \"0750\"."
  }
}

variable "client_role_arn" {
  type        = string
  description = "ARN of the function's execution role: the file system policy lets only this role mount and write, only through the access point, only over TLS."

  validation {
    condition     = can(regex("^arn:[^:]+:iam::[0-9]{12}:role/.+$", var.client_role_arn))
    error_message = "client_role_arn must be an IAM role ARN, e.g. arn:aws:iam::123456789012:role/s3archivefs-function."
  }
}
