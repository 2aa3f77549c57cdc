variable "name" {
  type        = string
  description = "Layer name (for example \"s3archivefs-dev-libsquashfs-arm64\")."

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,140}$", var.name))
    error_message = "name must be 1 to 140 letters, digits, '_' or '-' (Lambda's layer name rule)."
  }
}

variable "zip_path" {
  type        = string
  description = "Path of the layer zip built by `make package` (dist/layer-<arch>.zip). Its sha256 becomes source_code_hash, so an unchanged build publishes no new version."

  validation {
    condition     = fileexists(var.zip_path)
    error_message = "zip_path names no file: build the layer first with `make package` (it writes dist/layer-<arch>.zip)."
  }
}

variable "architecture" {
  type        = string
  description = "Instruction set the layer's libraries are built for: \"arm64\" or \"x86_64\". It must match the function's."
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.architecture)
    error_message = "architecture must be \"arm64\" or \"x86_64\"."
  }
}

variable "description" {
  type        = string
  description = "Description shown on the layer version."
  default     = "libsquashfs and its compression libraries for s3archivefs (native decompression engine), under /opt/lib"
}

variable "license_info" {
  type        = string
  description = "License of the layer's contents shown on the layer version (an SPDX expression or a URL, at most 512 characters); null shows none."
  default     = null
}
