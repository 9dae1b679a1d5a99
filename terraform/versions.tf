# The root pins exact versions, so every plan of this stack runs the same Terraform and provider;
# the modules only state minimums.
terraform {
  required_version = "= 1.11.4"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "= 6.66.0"
    }
  }
}
