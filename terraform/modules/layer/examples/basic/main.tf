# Publish the layer zip `make package` builds.

module "layer" {
  source = "../.."

  name         = "s3archivefs-example-libsquashfs-arm64"
  zip_path     = var.zip_path
  architecture = "arm64"
}
