variable "name" {
  type        = string
  description = "Name prefix for every resource (for example \"s3archivefs-dev\")."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,40}$", var.name))
    error_message = "name must start with a lowercase letter and hold only lowercase letters, digits and '-', at most 41 characters."
  }
}

variable "cidr_block" {
  type        = string
  description = "IPv4 CIDR block of the VPC, for example \"10.20.0.0/16\"."

  validation {
    condition     = can(cidrhost(var.cidr_block, 0)) && try(tonumber(split("/", var.cidr_block)[1]) <= 24, false)
    error_message = "cidr_block must be an IPv4 CIDR such as \"10.20.0.0/16\", with a prefix length of /24 or shorter (the subnets are carved from it)."
  }
}

variable "azs" {
  type        = list(string)
  description = "Availability zones to spread the subnets over, for example [\"eu-west-1a\", \"eu-west-1b\"]. One private and one public subnet is made in each."

  validation {
    condition     = length(var.azs) >= 1 && length(var.azs) <= 6 && length(distinct(var.azs)) == length(var.azs)
    error_message = "azs must name between 1 and 6 distinct availability zones."
  }
}

variable "private_subnet_cidrs" {
  type        = list(string)
  description = "CIDR of the private subnet in each AZ, in the order of azs. Empty: carved from cidr_block (4 more prefix bits, indexes 0..n-1)."
  default     = []

  validation {
    condition     = alltrue([for c in var.private_subnet_cidrs : can(cidrhost(c, 0))])
    error_message = "Every entry of private_subnet_cidrs must be an IPv4 CIDR such as \"10.20.0.0/20\"."
  }
}

variable "public_subnet_cidrs" {
  type        = list(string)
  description = "CIDR of the public subnet (NAT gateways only) in each AZ, in the order of azs. Empty: carved from cidr_block (4 more prefix bits, indexes 8..8+n-1)."
  default     = []

  validation {
    condition     = alltrue([for c in var.public_subnet_cidrs : can(cidrhost(c, 0))])
    error_message = "Every entry of public_subnet_cidrs must be an IPv4 CIDR such as \"10.20.128.0/20\"."
  }
}

variable "nat_gateway_mode" {
  type        = string
  description = "\"single\": one NAT gateway shared by every private subnet (cheaper, one AZ is a single point of failure); \"per_az\": one NAT gateway per AZ (highly available, one hourly charge per AZ)."
  default     = "single"

  validation {
    condition     = contains(["single", "per_az"], var.nat_gateway_mode)
    error_message = "nat_gateway_mode must be \"single\" or \"per_az\"."
  }
}

variable "enable_flow_logs" {
  type        = bool
  description = "Send VPC flow logs (all traffic) to a CloudWatch log group."
  default     = false
}

variable "flow_logs_retention_days" {
  type        = number
  description = "Retention of the flow log group, in days."
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.flow_logs_retention_days)
    error_message = "flow_logs_retention_days must be one of the values CloudWatch Logs accepts: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

variable "flow_logs_kms_key_arn" {
  type        = string
  description = "KMS key ARN to encrypt the flow log group with; null uses CloudWatch Logs' own encryption."
  default     = null
}
