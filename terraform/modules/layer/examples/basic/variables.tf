variable "region" {
  type        = string
  description = "Region to plan in."
  default     = "eu-west-1"
}

variable "zip_path" {
  type        = string
  description = "Layer zip."
  default     = "../../../../../dist/layer-arm64.zip"
}
