# dev: cheapest shape. No VPC, NAT or EFS (nothing billed by the hour); the
# chunk cache lives in each instance's /tmp.
environment = "dev"
region      = "eu-west-1"

bucket_name = "my-archives"

# Virtual prefix => squashfs archive. Edit, then `make plan ENV=dev` and
# `make apply ENV=dev`: new invocations see the new map.
prefix_vmap = {
  "datasets/linux-6.1" = "s3://my-archives/archives/linux-6.1.sqfs"
  "datasets/gcc-14"    = "s3://my-archives/archives/gcc-14.sqfs"
}

# Where Terraform writes the map once it outgrows the environment (> 20
# entries or 4 KB). Use a bucket readers cannot see: not the served bucket,
# whose objects pass through the access point.
vmap_ext_bucket = "my-config-bucket"

architecture = "arm64"
enable_layer = true
enable_vpc   = false

memory_size          = 1024
ephemeral_storage_mb = 2048
cache_max_bytes      = 1610612736 # 1.5 GiB of the 2 GiB /tmp
log_level            = "debug"
log_retention_days   = 7
