# Front B: the s3archivefs function behind a Lambda function URL, a plain
# S3 endpoint for any S3 client (--endpoint-url). It exists because S3
# Object Lambda is closed to new accounts since 7 November 2025.
#
# Auth type NONE makes the URL public: the function checks every request's
# SigV4 signature against the keys in the secret before any S3 or archive
# work, and reserved concurrency caps what a flood of bad requests costs.

locals {
  create_secret = var.keys_secret_arn == null
  secret_arn    = local.create_secret ? aws_secretsmanager_secret.keys[0].arn : var.keys_secret_arn
}

# The access keys (JSON, see the README). Terraform creates the secret but
# never its value, which therefore never sits in tfvars or in the state:
# put it with `aws secretsmanager put-secret-value` after the apply.
resource "aws_secretsmanager_secret" "keys" {
  count = local.create_secret ? 1 : 0

  name                    = "${var.name}/access-keys"
  description             = "Access keys of the s3archivefs function URL ${var.name}: {\"keys\": [{\"access_key_id\", \"secret_access_key\", \"allow_prefixes\"}]}"
  kms_key_id              = var.keys_kms_key_arn
  recovery_window_in_days = var.keys_recovery_window_days
}

module "function" {
  source = "../function"

  name  = var.name
  front = "function_url"

  package_type         = var.package_type
  zip_path             = var.zip_path
  image_uri            = var.image_uri
  layer_arns           = var.layer_arns
  architecture         = var.architecture
  memory_size          = var.memory_size
  timeout              = var.timeout
  ephemeral_storage_mb = var.ephemeral_storage_mb
  reserved_concurrency = var.reserved_concurrency
  log_level            = var.log_level
  log_retention_days   = var.log_retention_days

  prefix_vmap          = var.prefix_vmap
  vmap_ext_bucket      = var.vmap_ext_bucket
  vmap_ext_key         = var.vmap_ext_key
  archive_kms_key_arns = var.archive_kms_key_arns

  cache_chunk_size    = var.cache_chunk_size
  cache_max_bytes     = var.cache_max_bytes
  revalidate_interval = var.revalidate_interval

  real_bucket_name      = var.real_bucket_name
  client_bucket_name    = var.client_bucket_name
  real_allowed_prefixes = var.real_allowed_prefixes
  real_kms_key_arns     = var.real_kms_key_arns
  keys_secret_arn       = local.secret_arn
  keys_kms_key_arn      = var.keys_kms_key_arn
  keys_refresh_interval = var.keys_refresh_interval

  # No VPC: a function URL does not stream the response of a VPC-attached
  # function. The chunk cache lives in /tmp.
}

resource "aws_lambda_function_url" "this" {
  function_name      = module.function.function_name
  authorization_type = "NONE"
  invoke_mode        = "RESPONSE_STREAM"
}

# With auth type NONE the function's resource policy must admit everyone
# (the function authenticates). Since October 2025 a new function URL needs
# both lambda:InvokeFunctionUrl and lambda:InvokeFunction. Provider 6.25.0
# (pinned) cannot yet narrow the second to calls through the URL
# (invoked_via_function_url arrives in 6.29.0): a direct Invoke meets the
# same SigV4 check and the same reserved concurrency.
#tfsec:ignore:aws-lambda-restrict-source-arn
resource "aws_lambda_permission" "invoke_url" {
  statement_id           = "FunctionURLAllowPublicAccess"
  action                 = "lambda:InvokeFunctionUrl"
  function_name          = module.function.function_name
  principal              = "*"
  function_url_auth_type = "NONE"
}

#tfsec:ignore:aws-lambda-restrict-source-arn
resource "aws_lambda_permission" "invoke" {
  statement_id  = "FunctionURLAllowInvokeAction"
  action        = "lambda:InvokeFunction"
  function_name = module.function.function_name
  principal     = "*"
}

# ---------------------------------------------------------------------------
# Alarms: errors, duration near the timeout, throttles (the reserved
# concurrency reached: a flood, or too low a cap).

locals {
  alarms = {
    errors = {
      description = "The function URL front ${var.name} failed invocations (crash, timeout, init failure such as a bad VMAP or an unreadable keys secret)."
      metric      = "Errors"
      statistic   = "Sum"
      threshold   = var.errors_threshold
    }
    duration = {
      description = "An invocation of ${var.name} ran longer than ${var.duration_threshold_ms} ms (timeout ${var.timeout} s): large streamed answers at 2 MB/s after the first 6 MB, or a slow S3."
      metric      = "Duration"
      statistic   = "Maximum"
      threshold   = var.duration_threshold_ms
    }
    throttles = {
      description = "Requests to ${var.name} were throttled: reserved concurrency ${coalesce(var.reserved_concurrency, 0)} reached (a flood of requests, or too low a cap)."
      metric      = "Throttles"
      statistic   = "Sum"
      threshold   = 0
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each = local.alarms

  alarm_name          = "${var.name}-${each.key}"
  alarm_description   = each.value.description
  namespace           = "AWS/Lambda"
  metric_name         = each.value.metric
  dimensions          = { FunctionName = module.function.function_name }
  statistic           = each.value.statistic
  period              = var.period_seconds
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = each.value.threshold
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions
}
