resource "aws_cloudwatch_log_metric_filter" "this" {
  name           = "cache-hits"
  log_group_name = "/aws/lambda/conformance"
  pattern        = "{ $.cache_hits = * }"

  metric_transformation {
    name      = "CacheHits"
    namespace = "s3archivefs"
    value     = "$.cache_hits"
  }
}
