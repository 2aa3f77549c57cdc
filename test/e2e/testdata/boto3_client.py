"""The e2e suite's boto3 client: runs the same operations as the other
clients against an S3 endpoint and prints what it got as JSON, for the Go
test to compare with the ground truth. Debian's python3-boto3.

usage: boto3_client.py ENDPOINT BUCKET PREFIX SMALL_KEYS(comma) RANGE_KEY LARGE_KEY OUTDIR
"""
import hashlib
import json
import sys
import urllib.request

import boto3
from botocore.config import Config

endpoint, bucket, prefix, small, range_key, large_key, outdir = sys.argv[1:8]
s3 = boto3.client("s3", endpoint_url=endpoint,
                  config=Config(retries={"max_attempts": 1, "mode": "standard"}, s3={"addressing_style": "path"},
                                # boto3 1.26 presigns with SigV2 unless told; S3 (and this endpoint) want SigV4.
                                signature_version="s3v4"))
out = {}

keys = []
for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix, PaginationConfig={"PageSize": 50}):
    keys += [o["Key"] for o in page.get("Contents", [])]
out["list"] = keys

level = s3.list_objects_v2(Bucket=bucket, Prefix=prefix, Delimiter="/")
out["level"] = {"keys": [o["Key"] for o in level.get("Contents", [])],
                "prefixes": [p["Prefix"] for p in level.get("CommonPrefixes", [])]}

out["get"] = {}
out["head"] = {}
for k in small.split(","):
    body = s3.get_object(Bucket=bucket, Key=k)["Body"].read()
    out["get"][k] = hashlib.sha256(body).hexdigest()
    h = s3.head_object(Bucket=bucket, Key=k)
    out["head"][k] = {"size": h["ContentLength"], "etag": h["ETag"]}

r = s3.get_object(Bucket=bucket, Key=range_key, Range="bytes=100-199")
out["range"] = {"status": r["ResponseMetadata"]["HTTPStatusCode"], "sha256": hashlib.sha256(r["Body"].read()).hexdigest()}

path = outdir + "/large.bin"
s3.download_file(bucket, large_key, path)
with open(path, "rb") as f:
    out["large"] = hashlib.sha256(f.read()).hexdigest()

url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": small.split(",")[0]}, ExpiresIn=300)
with urllib.request.urlopen(url) as resp:
    out["presigned"] = hashlib.sha256(resp.read()).hexdigest()

json.dump(out, sys.stdout)
