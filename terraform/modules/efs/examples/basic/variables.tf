variable "region" {
  type        = string
  description = "Region to plan in."
  default     = "eu-west-1"
}

variable "azs" {
  type        = list(string)
  description = "Availability zones to use."
  default     = ["eu-west-1a", "eu-west-1b"]
}
