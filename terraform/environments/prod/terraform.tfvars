# prod. The shape (VPC, NAT per AZ, EFS, concurrency, alarms) is in main.tf;
# what you edit day to day is here.
region = "eu-west-1"

bucket_name = "my-archives"

# Which front: "object_lambda" needs an account that used S3 Object Lambda
# before 7 November 2025; "function_url" works in any account; "both".
frontend = "object_lambda"

# Virtual prefix => squashfs archive. Edit, then `make plan ENV=prod` and
# `make apply ENV=prod`: new invocations see the new map.
prefix_vmap = {
  "datasets/linux-6.1" = "s3://my-archives/archives/linux-6.1.sqfs"
  "datasets/gcc-14"    = "s3://my-archives/archives/gcc-14.sqfs"
}

# Where Terraform writes the map once it outgrows the environment (> 20
# entries or 4 KB). Use a bucket readers cannot see: not the served bucket,
# whose objects pass through the access point.
vmap_ext_bucket = "my-config-bucket"

log_level = "info"
