# One Lambda function from a prebuilt zip: log group first, execution role with one policy per concern,
# the function, and its asynchronous invocation settings.

resource "aws_cloudwatch_log_group" "this" {
  name              = "/aws/lambda/${var.function_name}"
  retention_in_days = var.log_retention_days

  tags = var.tags
}

resource "aws_lambda_function" "this" {
  function_name = var.function_name
  role          = aws_iam_role.this.arn

  filename         = var.zip_path
  source_code_hash = filebase64sha256(var.zip_path)
  handler          = var.handler
  runtime          = var.runtime
  architectures    = [var.architecture]

  memory_size                    = var.memory_mb
  timeout                        = var.timeout_seconds
  reserved_concurrent_executions = var.reserved_concurrency == null ? -1 : var.reserved_concurrency

  environment {
    variables = var.environment
  }

  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.this.name
  }

  # Active: Lambda samples requests and records a segment per sampled invocation, and the code's own
  # subsegments (Powertools Tracer) join it. PassThrough only forwards an incoming trace header.
  tracing_config {
    mode = var.tracing_enabled ? "Active" : "PassThrough"
  }

  tags = var.tags

  # The log group must exist (with its retention) before Lambda would create one without retention, and
  # the role must be able to write to it before the first invocation. Every role policy is in place before
  # the code or configuration that needs it changes (Lambda refuses Active tracing without the X-Ray
  # grant), so one apply never runs new code on old permissions.
  depends_on = [
    aws_cloudwatch_log_group.this,
    aws_iam_role_policy.logs,
    aws_iam_role_policy.concern,
  ]
}

resource "aws_lambda_function_event_invoke_config" "this" {
  function_name                = aws_lambda_function.this.function_name
  maximum_retry_attempts       = var.async_invoke.maximum_retry_attempts
  maximum_event_age_in_seconds = var.async_invoke.maximum_event_age_seconds

  dynamic "destination_config" {
    for_each = var.async_invoke.on_failure_destination_arn == null ? [] : [var.async_invoke.on_failure_destination_arn]

    content {
      on_failure {
        destination = destination_config.value
      }
    }
  }
}

# Lambda stops a chain of invocations caused by one event after about 16 hops, loops made only of Lambda
# functions included. A function that hands its own work on to itself (main's long source jobs, the
# consumer's scale-out) is allowed to loop: its own bound ends the chain (ADR 0107).
resource "aws_lambda_function_recursion_config" "this" {
  function_name  = aws_lambda_function.this.function_name
  recursive_loop = var.recursive_loop
}
