# The image repository of one deployment, keeping the ten latest images.

module "ecr" {
  source = "../.."

  name        = "s3archivefs-example"
  keep_images = 10
}
