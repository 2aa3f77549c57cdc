# tflint for every module, example and environment: `tflint --recursive
# --config "$PWD/.tflint.hcl"` from terraform/. Only the bundled terraform
# ruleset: the aws ruleset plugin cannot be downloaded offline.
plugin "terraform" {
  enabled = true
  preset  = "all"
}
