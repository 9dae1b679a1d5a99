# tflint with its bundled Terraform ruleset only (no plugin download): unused declarations, missing
# types and descriptions, deprecated syntax, module pinning.
config {
  call_module_type = "local"
}

plugin "terraform" {
  enabled = true
  preset  = "all"
}
