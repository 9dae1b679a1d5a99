# tflint with the Terraform ruleset (bundled: unused declarations, missing types and descriptions,
# deprecated syntax, module pinning) and the AWS ruleset (invalid instance types, runtimes, names and other
# values the provider only rejects at apply time). `tflint --init` downloads the AWS ruleset at this exact
# version; the terraform workflow runs both (.github/workflows/terraform.yml). The AWS ruleset must know
# every Lambda runtime the stack uses (0.44.0 added nodejs24.x): infra-check's tflint-ruleset.ts checks it.
config {
  call_module_type = "local"
}

plugin "terraform" {
  enabled = true
  preset  = "all"
}

plugin "aws" {
  enabled = true
  version = "0.48.0"
  source  = "github.com/terraform-linters/tflint-ruleset-aws"
}
