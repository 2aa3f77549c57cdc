resource "aws_lambda_layer_version" "this" {
  layer_name       = var.name
  description      = var.description
  license_info     = var.license_info
  filename         = var.zip_path
  source_code_hash = filebase64sha256(var.zip_path)

  compatible_runtimes      = ["provided.al2023"]
  compatible_architectures = [var.architecture]
}
