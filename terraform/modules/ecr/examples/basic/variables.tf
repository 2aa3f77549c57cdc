variable "region" {
  type        = string
  description = "Region to plan in."
  default     = "eu-west-1"
}
