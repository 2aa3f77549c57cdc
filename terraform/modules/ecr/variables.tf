variable "name" {
  type        = string
  description = "Repository name (for example \"s3archivefs-prod\"); images are pushed as <account>.dkr.ecr.<region>.amazonaws.com/<name>:<tag>."

  validation {
    condition     = length(var.name) >= 2 && length(var.name) <= 256 && can(regex("^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$", var.name))
    error_message = "name must be 2 to 256 lowercase letters, digits, '.', '_', '-' and '/' (ECR's rule: components separated by '/', each starting and ending with a letter or digit)."
  }
}

variable "keep_images" {
  type        = number
  description = "How many of the most recent images the lifecycle policy keeps; older ones expire (keep enough to roll back)."
  default     = 20

  validation {
    condition     = var.keep_images >= 1 && floor(var.keep_images) == var.keep_images
    error_message = "keep_images must be a whole number >= 1."
  }
}

variable "untagged_expiry_days" {
  type        = number
  description = "Days after which untagged images expire."
  default     = 7

  validation {
    condition     = var.untagged_expiry_days >= 1 && floor(var.untagged_expiry_days) == var.untagged_expiry_days
    error_message = "untagged_expiry_days must be a whole number >= 1."
  }
}

variable "kms_key_arn" {
  type        = string
  description = "Customer KMS key to encrypt the images with; null: ECR's AES256 encryption."
  default     = null
}

variable "force_delete" {
  type        = bool
  description = "Let `terraform destroy` delete the repository with its images (false: destroy fails while images remain)."
  default     = false
}
