data "aws_region" "current" {}

locals {
  namespace = coalesce(var.metric_namespace, "S3ArchiveFS/${var.function_name}")
  region    = data.aws_region.current.region

  olap_dimensions = {
    AccessPointName = var.object_lambda_access_point_name
    DataSourceARN   = var.function_arn
  }

  # One metric per numeric field of the function's request line. The
  # pattern matches only those lines (slog's msg "request").
  request_metrics = {
    Requests    = { value = "1", unit = "Count" }
    BytesOut    = { value = "$.bytes_out", unit = "Bytes" }
    S3Requests  = { value = "$.s3_requests", unit = "Count" }
    S3BytesIn   = { value = "$.s3_bytes_in", unit = "Bytes" }
    CacheHits   = { value = "$.cache_hits", unit = "Count" }
    CacheMisses = { value = "$.cache_misses", unit = "Count" }
    DurationMs  = { value = "$.duration_ms", unit = "Milliseconds" }
  }
}

resource "aws_cloudwatch_log_metric_filter" "request" {
  for_each = local.request_metrics

  name           = "${var.name}-${each.key}"
  log_group_name = var.log_group_name
  pattern        = "{ $.msg = \"request\" }"

  metric_transformation {
    name      = each.key
    namespace = local.namespace
    value     = each.value.value
    unit      = each.value.unit
  }
}

# ---------------------------------------------------------------------------
# Alarms.

# ---------------------------------------------------------------------------
# Where the alarms go: a topic created here (subscribe to it: email, chat,
# paging), the topics given in alarm_actions, or both.

# CloudWatch alarms cannot publish to a topic encrypted with the AWS managed
# key aws/sns (its key policy does not admit CloudWatch), so encryption
# takes a customer key whose policy lets cloudwatch.amazonaws.com use it.
#tfsec:ignore:aws-sns-enable-topic-encryption
#tfsec:ignore:aws-sns-topic-encryption-use-cmk
resource "aws_sns_topic" "alarms" {
  count = var.create_alarm_topic ? 1 : 0

  name              = "${var.name}-alarms"
  kms_master_key_id = var.alarm_topic_kms_key_arn
}

locals {
  alarm_actions = concat(var.alarm_actions, aws_sns_topic.alarms[*].arn)
}

resource "aws_cloudwatch_metric_alarm" "olap_4xx_rate" {
  alarm_name          = "${var.name}-olap-4xx-rate"
  alarm_description   = "More than ${var.olap_4xx_rate_threshold * 100}% of requests to the Object Lambda access point ${var.object_lambda_access_point_name} ended in 4xx (missing keys, denied access, bad ranges)."
  namespace           = "AWS/S3ObjectLambda"
  metric_name         = "4xxErrors"
  dimensions          = local.olap_dimensions
  statistic           = "Average"
  period              = var.period_seconds
  evaluation_periods  = var.evaluation_periods
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.olap_4xx_rate_threshold
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  lifecycle {
    precondition {
      condition     = !var.require_alarm_actions || length(local.alarm_actions) > 0
      error_message = "require_alarm_actions is true but the alarms notify no one: set create_alarm_topic = true (and subscribe to the topic) or give alarm_actions."
    }
  }
}

# Alarms on a plain count over the period: the same shape, one resource.
locals {
  count_alarms = {
    olap-5xx = {
      description = "The Object Lambda access point ${var.object_lambda_access_point_name} returned 5xx: the function failed, timed out, or S3 did. See the function's log lines with status >= 500."
      namespace   = "AWS/S3ObjectLambda"
      metric      = "5xxErrors"
      dimensions  = local.olap_dimensions
      threshold   = var.olap_5xx_count_threshold
    }
    function-errors = {
      description = "The function ${var.function_name} failed invocations (crash, timeout, init failure such as a bad VMAP)."
      namespace   = "AWS/Lambda"
      metric      = "Errors"
      dimensions  = { FunctionName = var.function_name }
      threshold   = var.function_errors_threshold
    }
    function-throttles = {
      description = "Invocations of ${var.function_name} were throttled: clients saw errors. Raise reserved concurrency or the account's concurrency limit."
      namespace   = "AWS/Lambda"
      metric      = "Throttles"
      dimensions  = { FunctionName = var.function_name }
      threshold   = var.function_throttles_threshold
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "count" {
  for_each = local.count_alarms

  alarm_name          = "${var.name}-${each.key}"
  alarm_description   = each.value.description
  namespace           = each.value.namespace
  metric_name         = each.value.metric
  dimensions          = each.value.dimensions
  statistic           = "Sum"
  period              = var.period_seconds
  evaluation_periods  = var.evaluation_periods
  comparison_operator = "GreaterThanThreshold"
  threshold           = each.value.threshold
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  lifecycle {
    precondition {
      condition     = !var.require_alarm_actions || length(local.alarm_actions) > 0
      error_message = "require_alarm_actions is true but the alarms notify no one: set create_alarm_topic = true (and subscribe to the topic) or give alarm_actions."
    }
  }
}

# ---------------------------------------------------------------------------
# Dashboard.

locals {
  olap_metric = [for m in ["AllRequests", "GetRequests", "HeadRequests", "ListRequests"] :
    ["AWS/S3ObjectLambda", m, "AccessPointName", var.object_lambda_access_point_name, "DataSourceARN", var.function_arn, { stat = "Sum" }]
  ]

  widgets = [
    {
      type = "metric", x = 0, y = 0, width = 12, height = 6
      properties = {
        title   = "Requests (Object Lambda access point)"
        region  = local.region
        view    = "timeSeries"
        stacked = false
        period  = 60
        metrics = local.olap_metric
      }
    },
    {
      type = "metric", x = 12, y = 0, width = 12, height = 6
      properties = {
        title  = "Latency (ms)"
        region = local.region
        view   = "timeSeries"
        period = 60
        metrics = [
          ["AWS/S3ObjectLambda", "FirstByteLatency", "AccessPointName", var.object_lambda_access_point_name, "DataSourceARN", var.function_arn, { stat = "p50", label = "first byte p50" }],
          ["...", { stat = "p99", label = "first byte p99" }],
          ["AWS/S3ObjectLambda", "TotalRequestLatency", "AccessPointName", var.object_lambda_access_point_name, "DataSourceARN", var.function_arn, { stat = "p99", label = "total p99" }],
          [local.namespace, "DurationMs", { stat = "p50", label = "function p50" }],
          ["...", { stat = "p99", label = "function p99" }],
        ]
      }
    },
    {
      type = "metric", x = 0, y = 6, width = 12, height = 6
      properties = {
        title  = "Bytes out to clients vs bytes in from S3"
        region = local.region
        view   = "timeSeries"
        period = 300
        metrics = [
          [local.namespace, "BytesOut", { stat = "Sum", label = "bytes out (function)" }],
          [local.namespace, "S3BytesIn", { stat = "Sum", label = "S3 bytes in (archives)" }],
          ["AWS/S3ObjectLambda", "BytesDownloaded", "AccessPointName", var.object_lambda_access_point_name, "DataSourceARN", var.function_arn, { stat = "Sum", label = "bytes downloaded (access point)" }],
        ]
      }
    },
    {
      type = "metric", x = 12, y = 6, width = 12, height = 6
      properties = {
        title  = "Chunk cache hit ratio (%) and S3 requests"
        region = local.region
        view   = "timeSeries"
        period = 300
        yAxis  = { left = { min = 0, max = 100 } }
        metrics = [
          [local.namespace, "CacheHits", { id = "hits", stat = "Sum", visible = false }],
          [local.namespace, "CacheMisses", { id = "misses", stat = "Sum", visible = false }],
          [{ expression = "100 * hits / (hits + misses)", id = "ratio", label = "cache hit ratio %" }],
          [local.namespace, "S3Requests", { stat = "Sum", label = "S3 GETs", yAxis = "right" }],
        ]
      }
    },
    {
      type = "metric", x = 0, y = 12, width = 12, height = 6
      properties = {
        title  = "Errors and throttles"
        region = local.region
        view   = "timeSeries"
        period = 60
        metrics = [
          ["AWS/S3ObjectLambda", "4xxErrors", "AccessPointName", var.object_lambda_access_point_name, "DataSourceARN", var.function_arn, { stat = "Sum" }],
          ["AWS/S3ObjectLambda", "5xxErrors", "AccessPointName", var.object_lambda_access_point_name, "DataSourceARN", var.function_arn, { stat = "Sum" }],
          ["AWS/Lambda", "Errors", "FunctionName", var.function_name, { stat = "Sum" }],
          ["AWS/Lambda", "Throttles", "FunctionName", var.function_name, { stat = "Sum" }],
          ["AWS/Lambda", "ConcurrentExecutions", "FunctionName", var.function_name, { stat = "Maximum", yAxis = "right" }],
        ]
      }
    },
    {
      type = "log", x = 12, y = 12, width = 12, height = 6
      properties = {
        title  = "Per operation (last period, from the request lines)"
        region = local.region
        view   = "table"
        query  = "SOURCE '${var.log_group_name}' | filter msg = \"request\" | stats count(*) as requests, sum(bytes_out) as bytes_out, sum(s3_bytes_in) as s3_bytes_in, 100 * sum(cache_hits) / (sum(cache_hits) + sum(cache_misses)) as hit_pct, pct(duration_ms, 50) as p50_ms, pct(duration_ms, 99) as p99_ms by op, status"
      }
    },
  ]
}

resource "aws_cloudwatch_dashboard" "this" {
  dashboard_name = var.name
  dashboard_body = jsonencode({ widgets = local.widgets })
}
