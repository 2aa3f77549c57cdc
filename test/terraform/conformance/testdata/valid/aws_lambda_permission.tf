resource "aws_lambda_permission" "this" {
  statement_id  = "AllowObjectLambda"
  action        = "lambda:InvokeFunction"
  function_name = "conformance"
  principal     = "s3-object-lambda.amazonaws.com"
}
