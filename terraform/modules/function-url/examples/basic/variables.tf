variable "region" {
  type        = string
  description = "Region to plan in."
  default     = "eu-west-1"
}

variable "zip_path" {
  type        = string
  description = "Function zip."
  default     = "../../../../../dist/function-arm64.zip"
}
