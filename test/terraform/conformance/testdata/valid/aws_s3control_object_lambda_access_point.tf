resource "aws_s3control_object_lambda_access_point" "this" {
  name = "conformance"

  configuration {
    supporting_access_point     = "arn:aws:s3:eu-west-1:123456789012:accesspoint/conformance-src"
    allowed_features            = ["GetObject-Range", "GetObject-PartNumber"]
    cloud_watch_metrics_enabled = true

    transformation_configuration {
      actions = ["GetObject", "HeadObject"]

      content_transformation {
        aws_lambda {
          function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:conformance"
        }
      }
    }
  }
}
