data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  partition  = data.aws_partition.current.partition
  dns_suffix = data.aws_partition.current.dns_suffix
  region     = data.aws_region.current.region
  account_id = data.aws_caller_identity.current.account_id

  is_olap  = var.front == "object_lambda"
  olap_arn = local.is_olap ? "arn:${local.partition}:s3-object-lambda:${local.region}:${local.account_id}:accesspoint/${var.object_lambda_access_point_name}" : null

  # front function_url: the real bucket and what of it the role may touch.
  # IAM reads '*', '?' and '$' in resources as wildcards (the prefixes'
  # validation refuses them); a "" prefix is the whole bucket.
  real_bucket_arn   = var.real_bucket_name != null ? "arn:${local.partition}:s3:::${var.real_bucket_name}" : null
  real_object_arns  = var.real_bucket_name != null ? sort(distinct([for p in var.real_allowed_prefixes : "${local.real_bucket_arn}/${p}*"])) : []
  real_list_all     = contains(var.real_allowed_prefixes, "")
  real_list_prefixs = sort(distinct([for p in var.real_allowed_prefixes : "${p}*"]))

  log_group_name = "/aws/lambda/${var.name}"

  in_vpc   = length(var.subnet_ids) > 0
  use_efs  = var.enable_efs
  is_image = var.package_type == "Image"

  # ---- The VMAP: normalised, sorted, rendered ------------------------------
  # Prefixes lose leading/trailing '/', so "a/b/" and "/a/b" are one prefix
  # (the variable's validation refuses maps where that makes duplicates).
  # keys() and sort() order by bytes, so the rendering is deterministic.
  vmap          = { for k, v in var.prefix_vmap : trim(k, "/") => v }
  vmap_prefixes = sort(keys(local.vmap))
  vmap_lines    = [for p in local.vmap_prefixes : "${p}|${local.vmap[p]}"]
  vmap_env      = { for i, line in local.vmap_lines : "S3ARCHIVEFS_PREFIX_VMAP${i + 1}" => line }

  vmap_ext_content = "${join("\n", local.vmap_lines)}\n"
  vmap_ext_sha256  = sha256(local.vmap_ext_content)

  base_env = {
    S3ARCHIVEFS_CACHE_DIR           = local.use_efs ? var.efs_mount_path : "/tmp/s3archivefs-cache"
    S3ARCHIVEFS_CACHE_CHUNK_SIZE    = tostring(var.cache_chunk_size)
    S3ARCHIVEFS_CACHE_MAX_BYTES     = tostring(var.cache_max_bytes)
    S3ARCHIVEFS_REVALIDATE_INTERVAL = var.revalidate_interval
    # Lambda freezes an instance between invocations: on EFS its cache
    # writes still running would stay half done for the other instances,
    # so each invocation waits for them (up to 2 s) after its answer. A
    # /tmp cache is the instance's own: a frozen write resumes on thaw.
    S3ARCHIVEFS_CACHE_SETTLE_TIMEOUT = local.use_efs ? "2s" : "0"
    # An image carries the layer's libraries in /opt/lib; a zip has them
    # only with the layer.
    S3ARCHIVEFS_ENGINE    = local.is_image || length(var.layer_arns) > 0 ? "native" : "go"
    S3ARCHIVEFS_LOG_LEVEL = var.log_level
    S3ARCHIVEFS_FRONT     = var.front
  }

  # front function_url (the contract with the Go side: CONTRACT-front-b).
  # The secret's ARN may be known only after apply; the size estimate
  # below counts a placeholder of the longest ARN instead, so that the
  # choice of VMAP delivery stays known at plan.
  url_env_known = local.is_olap ? {} : merge(
    { S3ARCHIVEFS_KEYS_REFRESH_INTERVAL = var.keys_refresh_interval },
    var.real_bucket_name != null ? { S3ARCHIVEFS_REAL_BUCKET = var.real_bucket_name } : {},
    coalesce(var.client_bucket_name, var.real_bucket_name, "-") != "-" ? { S3ARCHIVEFS_BUCKET = coalesce(var.client_bucket_name, var.real_bucket_name) } : {},
  )
  url_env          = local.is_olap ? {} : merge(local.url_env_known, { S3ARCHIVEFS_KEYS_SECRET_ARN = var.keys_secret_arn })
  url_env_estimate = local.is_olap ? {} : merge(local.url_env_known, { S3ARCHIVEFS_KEYS_SECRET_ARN = join("", [for i in range(256) : "x"]) })

  # Lambda refuses environments over 4 KB (4096 bytes). The size is taken
  # from the JSON of the whole map, which over-counts every variable by its
  # quotes, colon and comma, and any escaping; the byte length comes from
  # base64 (4 characters per 3 bytes, rounded up), since length() counts
  # characters, not UTF-8 bytes. Over-counting only moves the switch to the
  # ext file earlier, never later.
  inline_env       = merge(local.base_env, local.url_env, local.vmap_env)
  inline_env_bytes = ceil(length(base64encode(jsonencode(merge(local.base_env, local.url_env_estimate, local.vmap_env)))) * 3 / 4)
  env_limit_bytes  = 4096

  use_ext_file = length(local.vmap_lines) > 20 || local.inline_env_bytes > local.env_limit_bytes

  # Null when unset: the precondition on the object below then fails the
  # plan with a message instead of a template error here.
  ext_file_ok  = var.vmap_ext_bucket != null && var.vmap_ext_key != null
  ext_file_url = local.use_ext_file && local.ext_file_ok ? "s3://${var.vmap_ext_bucket}/${var.vmap_ext_key}" : null

  environment = local.use_ext_file ? merge(local.base_env, local.url_env, {
    S3ARCHIVEFS_PREFIX_VMAP_EXT_FILE   = local.ext_file_url
    S3ARCHIVEFS_PREFIX_VMAP_EXT_SHA256 = local.vmap_ext_sha256
  }) : local.inline_env

  # ---- IAM resources -------------------------------------------------------
  # Object ARNs name one key each. IAM reads '*', '?' and '$' in a resource
  # as wildcards or variables; the policy variables $${*}, $${?} and $${$}
  # stand for the literal characters, so a key holding them grants that key
  # and nothing else.
  archive_objects = distinct([for v in values(local.vmap) : {
    bucket = split("/", v)[2]
    key    = join("/", slice(split("/", v), 3, length(split("/", v))))
  }])
  archive_object_arns = sort([for o in local.archive_objects :
    "arn:${local.partition}:s3:::${o.bucket}/${replace(replace(replace(o.key, "$", "$${$}"), "*", "$${*}"), "?", "$${?}")}"
  ])
  archive_keys_by_bucket = { for b in distinct([for o in local.archive_objects : o.bucket]) :
    b => sort([for o in local.archive_objects : o.key if o.bucket == b])
  }
  ext_file_arns = local.use_ext_file && local.ext_file_ok ? ["arn:${local.partition}:s3:::${var.vmap_ext_bucket}/${var.vmap_ext_key}"] : []

  ec2_arn_prefix = "arn:${local.partition}:ec2:${local.region}:${local.account_id}"
}

# ---------------------------------------------------------------------------
# The VMAP ext file, when the map does not fit in the environment.

resource "aws_s3_object" "vmap_ext" {
  count = local.use_ext_file ? 1 : 0

  bucket                 = var.vmap_ext_bucket
  key                    = var.vmap_ext_key
  content                = local.vmap_ext_content
  content_type           = "text/plain; charset=utf-8"
  server_side_encryption = "AES256"

  lifecycle {
    precondition {
      condition     = local.ext_file_ok
      error_message = "prefix_vmap has ${length(local.vmap_lines)} entries (${local.inline_env_bytes} bytes as environment variables): more than 20 entries or more than Lambda's 4096-byte environment, so it must go to an S3 object. Set vmap_ext_bucket and vmap_ext_key."
    }
  }
}

# ---------------------------------------------------------------------------
# Reserved concurrency must leave Lambda's 100 unreserved executions: read
# the account's limit (Lambda quota L-B99A9384, "Concurrent executions") so
# that an impossible value fails the plan, not the apply.

data "aws_servicequotas_service_quota" "concurrency" {
  count = var.reserved_concurrency != null ? 1 : 0

  service_code = "lambda"
  quota_code   = "L-B99A9384"
}

# ---------------------------------------------------------------------------
# Logs.

resource "aws_cloudwatch_log_group" "this" {
  name              = local.log_group_name
  retention_in_days = var.log_retention_days
  kms_key_id        = var.log_kms_key_arn
}

# ---------------------------------------------------------------------------
# IAM: the execution role and exactly what the function needs.

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  name               = "${var.name}-function"
  description        = "Execution role of the ${var.name} s3archivefs function"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

data "aws_iam_policy_document" "function" {
  statement {
    sid       = "ReadArchivesNamedInTheVmap"
    actions   = ["s3:GetObject"]
    resources = concat(local.archive_object_arns, local.ext_file_arns)
  }

  # Listings show archive entries with the archive object's owner, learnt
  # by listing exactly the archive's key (ListObjectsV2, prefix = key,
  # fetch-owner). One statement per bucket, limited to its archive keys.
  dynamic "statement" {
    for_each = local.archive_keys_by_bucket
    content {
      sid       = "ListArchiveKeyForOwner${replace(title(replace(statement.key, "/[^0-9A-Za-z]+/", " ")), " ", "")}"
      actions   = ["s3:ListBucket"]
      resources = ["arn:${local.partition}:s3:::${statement.key}"]
      condition {
        test     = "StringEquals"
        variable = "s3:prefix"
        values   = statement.value
      }
    }
  }

  # front object_lambda. Merged listings: the function lists the real
  # objects through the supporting access point only. No grant on the
  # bucket ARN: a request through an access point is authorised on the
  # access point (and the bucket policy's delegation to access points), so
  # a grant on the bucket would only let the role list around it.
  dynamic "statement" {
    for_each = local.is_olap && var.supporting_access_point_arn != null ? [1] : []
    content {
      sid       = "ListThroughSupportingAccessPoint"
      actions   = ["s3:ListBucket"]
      resources = [var.supporting_access_point_arn]
    }
  }

  # The Service Authorization Reference gives WriteGetObjectResponse the
  # resource type objectlambdaaccesspoint: the one access point that
  # invokes this function (ARN built from its name, known at plan).
  dynamic "statement" {
    for_each = local.is_olap ? [1] : []
    content {
      sid       = "AnswerObjectLambdaRequests"
      actions   = ["s3-object-lambda:WriteGetObjectResponse"]
      resources = [local.olap_arn]
    }
  }

  # front function_url: real objects with the function's own role, only
  # under the allowed prefixes.
  dynamic "statement" {
    for_each = !local.is_olap && var.real_bucket_name != null ? [1] : []
    content {
      sid       = "ReadRealObjects"
      actions   = ["s3:GetObject"]
      resources = local.real_object_arns
    }
  }

  dynamic "statement" {
    for_each = !local.is_olap && var.real_bucket_name != null ? [1] : []
    content {
      sid       = "ListRealObjects"
      actions   = ["s3:ListBucket"]
      resources = [local.real_bucket_arn]
      dynamic "condition" {
        for_each = local.real_list_all ? [] : [1]
        content {
          test     = "StringLike"
          variable = "s3:prefix"
          values   = local.real_list_prefixs
        }
      }
    }
  }

  dynamic "statement" {
    for_each = !local.is_olap && length(var.real_kms_key_arns) > 0 ? [1] : []
    content {
      sid       = "DecryptRealObjects"
      actions   = ["kms:Decrypt"]
      resources = var.real_kms_key_arns
      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["s3.${local.region}.${local.dns_suffix}"]
      }
    }
  }

  # Only to its own log group (created above, so no logs:CreateLogGroup).
  # The ARN is built from the name, not read from the resource: a policy
  # document that refers to a resource still to be created is only rendered
  # at apply, and this one should be readable in `terraform plan`.
  statement {
    sid       = "WriteOwnLogGroup"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${local.log_group_name}:log-stream:*"]
  }

  dynamic "statement" {
    for_each = length(var.archive_kms_key_arns) > 0 ? [1] : []
    content {
      sid       = "DecryptArchives"
      actions   = ["kms:Decrypt"]
      resources = var.archive_kms_key_arns
      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["s3.${local.region}.${local.dns_suffix}"]
      }
    }
  }
}

# Network permissions live in their own policy: the subnet and security
# group ids are only known after apply, and keeping them apart leaves the
# S3 policy above readable in `terraform plan`.
data "aws_iam_policy_document" "network" {
  count = local.in_vpc ? 1 : 0

  dynamic "statement" {
    for_each = local.use_efs ? [1] : []
    content {
      sid       = "MountCacheThroughItsAccessPoint"
      actions   = ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"]
      resources = [var.efs_file_system_arn]
      condition {
        test     = "StringEquals"
        variable = "elasticfilesystem:AccessPointArn"
        values   = [var.efs_access_point_arn]
      }
    }
  }

  # The actions of AWSLambdaVPCAccessExecutionRole, written out. The two
  # Describe calls have no resource-level permissions (AWS requires "*").
  statement {
    sid       = "DescribeNetworkForVpcAttachment"
    actions   = ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"]
    resources = ["*"]
  }

  # Creating an interface involves the subnet, the security group and the
  # new interface: the first two are named exactly, the interface's id does
  # not exist before the call.
  statement {
    sid     = "CreateInterfacesInOwnSubnets"
    actions = ["ec2:CreateNetworkInterface"]
    resources = concat(
      [for s in var.subnet_ids : "${local.ec2_arn_prefix}:subnet/${s}"],
      ["${local.ec2_arn_prefix}:security-group/${aws_security_group.this[0].id}"],
      ["${local.ec2_arn_prefix}:network-interface/*"],
    )
  }

  # Lambda manages the interfaces it created; their ids are not known in
  # advance, so this is every interface in this account and region.
  statement {
    sid       = "ManageOwnInterfaces"
    actions   = ["ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"]
    resources = ["${local.ec2_arn_prefix}:network-interface/*"]
  }
}

# front function_url: the keys secret, in a policy of its own (a secret
# created in the same apply has its ARN only then; the policy above stays
# readable in `terraform plan`).
data "aws_iam_policy_document" "keys" {
  count = local.is_olap ? 0 : 1

  statement {
    sid       = "ReadAccessKeys"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [var.keys_secret_arn]
  }

  dynamic "statement" {
    for_each = var.keys_kms_key_arn != null ? [1] : []
    content {
      sid       = "DecryptAccessKeys"
      actions   = ["kms:Decrypt"]
      resources = [var.keys_kms_key_arn]
      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["secretsmanager.${local.region}.${local.dns_suffix}"]
      }
    }
  }
}

resource "aws_iam_role_policy" "keys" {
  count = local.is_olap ? 0 : 1

  name   = "access-keys"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.keys[0].json
}

resource "aws_iam_role_policy" "this" {
  name   = "s3archivefs"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.function.json
}

resource "aws_iam_role_policy" "network" {
  count = local.in_vpc ? 1 : 0

  name   = "vpc-and-efs"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.network[0].json
}

# ---------------------------------------------------------------------------
# Network: the function's security group (only when in a VPC).

resource "aws_security_group" "this" {
  count = local.in_vpc ? 1 : 0

  name        = "${var.name}-function"
  description = "s3archivefs function ${var.name}: HTTPS out, NFS to its EFS"
  vpc_id      = var.vpc_id

  tags = { Name = "${var.name}-function" }

  lifecycle {
    precondition {
      condition     = var.vpc_id != null
      error_message = "subnet_ids is set but vpc_id is null: give the VPC the subnets belong to."
    }
  }
}

# S3 (through the gateway endpoint) and the S3 Object Lambda endpoint that
# WriteGetObjectResponse calls (public, through NAT: it has no VPC endpoint
# and no published address range of its own), both on 443.
resource "aws_vpc_security_group_egress_rule" "https" {
  count = local.in_vpc ? 1 : 0

  security_group_id = aws_security_group.this[0].id
  description       = "HTTPS to S3 and the S3 Object Lambda endpoint"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_egress_rule" "nfs" {
  count = local.in_vpc && local.use_efs ? 1 : 0

  security_group_id            = aws_security_group.this[0].id
  description                  = "NFS to the cache file system"
  ip_protocol                  = "tcp"
  from_port                    = 2049
  to_port                      = 2049
  referenced_security_group_id = var.efs_security_group_id
}

# ---------------------------------------------------------------------------
# The function.

# No X-Ray: every request already logs its own timings and S3/cache
# counters (the dashboard reads them), and tracing would add a per-trace
# cost and xray:Put* grants on "*".
#tfsec:ignore:aws-lambda-enable-tracing
resource "aws_lambda_function" "this" {
  function_name = var.name
  description   = local.is_olap ? "s3archivefs: files inside squashfs archives in S3, served through S3 Object Lambda" : "s3archivefs: files inside squashfs archives in S3, served as an S3 endpoint on a function URL"
  role          = aws_iam_role.this.arn
  architectures = [var.architecture]
  memory_size   = var.memory_size
  timeout       = var.timeout

  # A zip runs on provided.al2023 with the layer; an image brings its own
  # runtime (the bootstrap is its ENTRYPOINT) and cannot take layers.
  package_type     = var.package_type
  image_uri        = local.is_image ? var.image_uri : null
  runtime          = local.is_image ? null : "provided.al2023"
  handler          = local.is_image ? null : "bootstrap"
  filename         = local.is_image ? null : var.zip_path
  source_code_hash = local.is_image ? null : try(filebase64sha256(var.zip_path), null)
  layers           = local.is_image ? [] : var.layer_arns

  reserved_concurrent_executions = var.reserved_concurrency != null ? var.reserved_concurrency : -1

  ephemeral_storage {
    size = var.ephemeral_storage_mb
  }

  environment {
    variables = local.environment
  }

  # Lambda's filter is kept open (TRACE passes every level) and the
  # function filters itself by S3ARCHIVEFS_LOG_LEVEL: Lambda would drop the
  # per-request line (level INFO) at WARN or ERROR, and the metrics and
  # alarms of modules/monitoring count that line. The function's lines
  # still carry what Lambda reads (an RFC 3339 "timestamp", "level").
  logging_config {
    log_format            = "JSON"
    log_group             = aws_cloudwatch_log_group.this.name
    application_log_level = "TRACE"
    system_log_level      = "INFO"
  }

  dynamic "vpc_config" {
    for_each = local.in_vpc ? [1] : []
    content {
      subnet_ids         = var.subnet_ids
      security_group_ids = [aws_security_group.this[0].id]
    }
  }

  dynamic "file_system_config" {
    for_each = local.use_efs ? [1] : []
    content {
      arn              = var.efs_access_point_arn
      local_mount_path = var.efs_mount_path
    }
  }

  lifecycle {
    precondition {
      condition     = local.is_image ? var.image_uri != null && length(var.layer_arns) == 0 : var.zip_path != null
      error_message = "package_type = \"${var.package_type}\": an image needs image_uri and takes no layer (its /opt/lib holds the libraries); a zip needs zip_path."
    }
    precondition {
      condition     = local.is_olap ? var.timeout <= 60 && var.object_lambda_access_point_name != null : var.keys_secret_arn != null && !local.in_vpc
      error_message = "front ${var.front}: Object Lambda needs object_lambda_access_point_name and a timeout of at most 60 s (its own limit); a function URL needs keys_secret_arn and no VPC (function URLs do not stream the responses of VPC-attached functions)."
    }
    precondition {
      condition     = var.reserved_concurrency == null || try(var.reserved_concurrency <= data.aws_servicequotas_service_quota.concurrency[0].value - 100, false)
      error_message = "reserved_concurrency = ${coalesce(var.reserved_concurrency, 0)} needs an account concurrency limit of at least ${coalesce(var.reserved_concurrency, 0) + 100} (Lambda keeps 100 unreserved), but this account's limit is ${try(data.aws_servicequotas_service_quota.concurrency[0].value, "unknown")}. Lower reserved_concurrency or ask AWS to raise the quota \"Concurrent executions\" (L-B99A9384)."
    }
    precondition {
      condition     = !local.use_efs || (local.in_vpc && var.efs_access_point_arn != null && var.efs_file_system_arn != null)
      error_message = "enable_efs is true, but EFS needs the function in a VPC (subnet_ids, vpc_id), efs_access_point_arn to mount and efs_file_system_arn for its IAM grant."
    }
  }

  # Lambda checks the role's VPC and EFS permissions when it creates the
  # function, and the ext file must exist before the environment names it.
  depends_on = [aws_iam_role_policy.this, aws_iam_role_policy.network, aws_iam_role_policy.keys, aws_s3_object.vmap_ext]
}
