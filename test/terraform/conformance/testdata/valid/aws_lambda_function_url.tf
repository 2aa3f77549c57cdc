resource "aws_lambda_function_url" "this" {
  function_name      = "s3archivefs-conformance"
  authorization_type = "NONE"
  invoke_mode        = "RESPONSE_STREAM"
}
