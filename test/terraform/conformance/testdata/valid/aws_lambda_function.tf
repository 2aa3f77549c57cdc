resource "aws_lambda_function" "this" {
  function_name    = "conformance"
  role             = "arn:aws:iam::123456789012:role/fn"
  runtime          = "provided.al2023"
  handler          = "bootstrap"
  architectures    = ["arm64"]
  filename         = "function.zip"
  source_code_hash = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
  memory_size      = 1024
  timeout          = 60
  layers           = ["arn:aws:lambda:eu-west-1:123456789012:layer:libsquashfs:1"]

  environment {
    variables = { S3ARCHIVEFS_CACHE_DIR = "/mnt/cache" }
  }

  ephemeral_storage {
    size = 1024
  }

  vpc_config {
    subnet_ids         = ["subnet-0123456789abcdef0"]
    security_group_ids = ["sg-0123456789abcdef0"]
  }

  file_system_config {
    arn              = "arn:aws:elasticfilesystem:eu-west-1:123456789012:access-point/fsap-0123456789abcdef0"
    local_mount_path = "/mnt/cache"
  }

  logging_config {
    log_format = "JSON"
  }
}
