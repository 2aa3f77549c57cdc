resource "aws_s3_object" "this" {
  bucket       = "my-archives"
  key          = "s3archivefs/vmap.txt"
  content      = "datasets/a s3://my-archives/a.sqfs\n"
  content_type = "text/plain"
}
