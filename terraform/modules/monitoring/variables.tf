variable "name" {
  type        = string
  description = "Name prefix of the alarms and the dashboard (for example \"s3archivefs-dev\")."

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,200}$", var.name))
    error_message = "name must be letters, digits, '_' or '-'."
  }
}

variable "function_name" {
  type        = string
  description = "Name of the s3archivefs function (AWS/Lambda FunctionName dimension)."
}

variable "function_arn" {
  type        = string
  description = "ARN of the function: the DataSourceARN dimension of the Object Lambda metrics for requests it served."
}

variable "log_group_name" {
  type        = string
  description = "Log group holding the function's JSON request lines (msg \"request\" with op, status, bytes_out, s3_requests, s3_bytes_in, cache_hits, cache_misses, duration_ms)."
}

variable "object_lambda_access_point_name" {
  type        = string
  description = "Name of the Object Lambda access point (AccessPointName dimension of AWS/S3ObjectLambda)."
}

variable "metric_namespace" {
  type        = string
  description = "CloudWatch namespace of the metrics extracted from the request lines; null: \"S3ArchiveFS/<function_name>\", so two stacks in one account never mix."
  default     = null
}

variable "alarm_actions" {
  type        = list(string)
  description = "ARNs notified when an alarm fires and when it clears (an SNS topic, usually). Empty: the alarms only show in the console."
  default     = []
}

variable "period_seconds" {
  type        = number
  description = "Period every alarm evaluates, in seconds (60 or a multiple)."
  default     = 300

  validation {
    condition     = var.period_seconds >= 60 && var.period_seconds % 60 == 0
    error_message = "period_seconds must be 60 or a multiple of 60."
  }
}

variable "evaluation_periods" {
  type        = number
  description = "Consecutive periods over the threshold before an alarm fires."
  default     = 1

  validation {
    condition     = var.evaluation_periods >= 1 && floor(var.evaluation_periods) == var.evaluation_periods
    error_message = "evaluation_periods must be a whole number >= 1."
  }
}

variable "olap_4xx_rate_threshold" {
  type        = number
  description = "Alarm when more than this fraction (0..1) of the access point's requests end in 4xx. Clients asking for missing keys cause 404s, so leave headroom."
  default     = 0.25

  validation {
    condition     = var.olap_4xx_rate_threshold > 0 && var.olap_4xx_rate_threshold <= 1
    error_message = "olap_4xx_rate_threshold must be a fraction in (0, 1]."
  }
}

variable "olap_5xx_count_threshold" {
  type        = number
  description = "Alarm when the access point returns more than this many 5xx responses in a period."
  default     = 0

  validation {
    condition     = var.olap_5xx_count_threshold >= 0
    error_message = "olap_5xx_count_threshold must be >= 0."
  }
}

variable "function_errors_threshold" {
  type        = number
  description = "Alarm when the function has more than this many errors (crashes, timeouts) in a period."
  default     = 0

  validation {
    condition     = var.function_errors_threshold >= 0
    error_message = "function_errors_threshold must be >= 0."
  }
}

variable "function_throttles_threshold" {
  type        = number
  description = "Alarm when more than this many invocations are throttled in a period (raise reserved concurrency or the account limit)."
  default     = 0

  validation {
    condition     = var.function_throttles_threshold >= 0
    error_message = "function_throttles_threshold must be >= 0."
  }
}

variable "create_alarm_topic" {
  type        = bool
  description = "Create an SNS topic <name>-alarms that every alarm notifies (subscribe to it after the apply); alarm_actions are notified too."
  default     = false
}

variable "alarm_topic_kms_key_arn" {
  type        = string
  description = "Customer KMS key to encrypt the alarm topic with (its key policy must let cloudwatch.amazonaws.com use it); null: unencrypted (CloudWatch cannot publish to a topic under the AWS managed aws/sns key)."
  default     = null
}

variable "require_alarm_actions" {
  type        = bool
  description = "Fail the plan when the alarms would notify no one (no topic created and alarm_actions empty). Set in prod."
  default     = false
}
