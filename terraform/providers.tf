provider "aws" {
  region = var.aws_region

  # Applied to every taggable resource the provider creates, on top of each resource's own tags.
  default_tags {
    tags = local.tags
  }
}
