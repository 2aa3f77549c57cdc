resource "aws_lambda_layer_version" "this" {
  layer_name               = "libsquashfs"
  filename                 = "layer.zip"
  source_code_hash         = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
  compatible_runtimes      = ["provided.al2023"]
  compatible_architectures = ["arm64"]
}
