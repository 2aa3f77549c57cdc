# prod: the function in private subnets of its own VPC, a NAT gateway per AZ,
# the chunk cache on EFS (shared by every instance, kept across cold starts).
environment = "prod"
region      = "eu-west-1"

bucket_name = "my-archives"

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

architecture = "arm64"
enable_layer = true

enable_vpc       = true
vpc_cidr         = "10.42.0.0/16"
azs              = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
nat_gateway_mode = "per_az"
enable_flow_logs = true

memory_size          = 2048
ephemeral_storage_mb = 512
reserved_concurrency = 200
cache_max_bytes      = 107374182400 # 100 GiB on EFS
log_level            = "info"
log_retention_days   = 90

alarm_actions = []
