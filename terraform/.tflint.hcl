# tflint with the Terraform ruleset (bundled: unused declarations, missing types and descriptions,
# deprecated syntax, module pinning) and the AWS ruleset (invalid instance types, runtimes, names and other
# values the provider only rejects at apply time). `tflint --init` downloads the AWS ruleset at this exact
# version; the terraform workflow runs both (.github/workflows/terraform.yml).
config {
  call_module_type = "local"
}

plugin "terraform" {
  enabled = true
  preset  = "all"
}

plugin "aws" {
  enabled = true
  version = "0.40.0"
  source  = "github.com/terraform-linters/tflint-ruleset-aws"
}
