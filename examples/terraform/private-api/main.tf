# (a) in Terraform: a private REST API behind an execute-api interface VPC endpoint, with
# AWS's recommended resource policy (Allow execute-api:Invoke on execute-api:/*, Deny
# unless aws:SourceVpce is this endpoint), GET /ping (MOCK), a deployment and a stage.
# The same set-up as examples/templates/private-api.yaml; see the comments there.
#
#   terraform init && terraform apply -var vpc_id=vpc-... -var 'subnet_ids=["subnet-a","subnet-b"]'
#   privateapi doctor "$(terraform output -raw invoke_url)"     # from inside the VPC
#
# make test checks this file with `terraform fmt -check` only (no `terraform init`: that
# would download the provider); it is not planned or applied by the test suite.

terraform {
  required_version = ">= 1.3"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
  }
}

variable "vpc_id" {
  description = "The VPC the callers are in (enableDnsSupport and enableDnsHostnames on)."
  type        = string
}

variable "subnet_ids" {
  description = "Subnets for the endpoint's network interfaces, in at least two Availability Zones."
  type        = list(string)
}

variable "client_cidr" {
  description = "Where the callers are: the endpoint's security group admits TCP 443 from here."
  type        = string
  default     = "10.0.0.0/16"
}

variable "stage_name" {
  description = "The stage to deploy."
  type        = string
  default     = "prod"
}

variable "name" {
  description = "Name of the API and prefix of the other resources."
  type        = string
  default     = "private-api"
}

# `.name` works with provider 5.x and 6.x (6.x prefers `.region`); unverified by a plan here.
data "aws_region" "current" {}

resource "aws_security_group" "endpoint" {
  name_prefix = "${var.name}-vpce-"
  description = "execute-api VPC endpoint - HTTPS from the callers"
  vpc_id      = var.vpc_id

  ingress {
    description = "HTTPS to API Gateway"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = [var.client_cidr]
  }
}

resource "aws_vpc_endpoint" "execute_api" {
  vpc_id              = var.vpc_id
  service_name        = "com.amazonaws.${data.aws_region.current.name}.execute-api"
  vpc_endpoint_type   = "Interface"
  subnet_ids          = var.subnet_ids
  security_group_ids  = [aws_security_group.endpoint.id]
  private_dns_enabled = true # captures every execute-api name of the Region in this VPC
}

resource "aws_api_gateway_rest_api" "api" {
  name = var.name

  endpoint_configuration {
    types = ["PRIVATE"]
  }
}

# A private API without a resource policy cannot be deployed.
resource "aws_api_gateway_rest_api_policy" "api" {
  rest_api_id = aws_api_gateway_rest_api.api.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AllowInvoke"
        Effect    = "Allow"
        Principal = "*"
        Action    = "execute-api:Invoke"
        Resource  = "execute-api:/*"
      },
      {
        Sid       = "DenyOutsideEndpoint"
        Effect    = "Deny"
        Principal = "*"
        Action    = "execute-api:Invoke"
        Resource  = "execute-api:/*"
        Condition = {
          StringNotEquals = {
            "aws:SourceVpce" = aws_vpc_endpoint.execute_api.id
          }
        }
      },
    ]
  })
}

resource "aws_api_gateway_resource" "ping" {
  rest_api_id = aws_api_gateway_rest_api.api.id
  parent_id   = aws_api_gateway_rest_api.api.root_resource_id
  path_part   = "ping"
}

resource "aws_api_gateway_method" "ping" {
  rest_api_id   = aws_api_gateway_rest_api.api.id
  resource_id   = aws_api_gateway_resource.ping.id
  http_method   = "GET"
  authorization = "NONE"
}

resource "aws_api_gateway_integration" "ping" {
  rest_api_id = aws_api_gateway_rest_api.api.id
  resource_id = aws_api_gateway_resource.ping.id
  http_method = aws_api_gateway_method.ping.http_method
  type        = "MOCK"
  request_templates = {
    "application/json" = jsonencode({ statusCode = 200 })
  }
}

resource "aws_api_gateway_method_response" "ping" {
  rest_api_id = aws_api_gateway_rest_api.api.id
  resource_id = aws_api_gateway_resource.ping.id
  http_method = aws_api_gateway_method.ping.http_method
  status_code = "200"
}

resource "aws_api_gateway_integration_response" "ping" {
  rest_api_id = aws_api_gateway_rest_api.api.id
  resource_id = aws_api_gateway_resource.ping.id
  http_method = aws_api_gateway_method.ping.http_method
  status_code = aws_api_gateway_method_response.ping.status_code
  response_templates = {
    "application/json" = jsonencode({ ok = true })
  }
  depends_on = [aws_api_gateway_integration.ping]
}

# A deployment is a snapshot: redeploy whenever the policy or a method changes, or the
# change never takes effect (`policy.not-deployed` in the doctor).
resource "aws_api_gateway_deployment" "api" {
  rest_api_id = aws_api_gateway_rest_api.api.id

  triggers = {
    redeployment = sha1(jsonencode([
      aws_api_gateway_rest_api_policy.api.policy,
      aws_api_gateway_resource.ping.id,
      aws_api_gateway_method.ping.id,
      aws_api_gateway_integration.ping.id,
      aws_api_gateway_integration_response.ping.id,
    ]))
  }

  lifecycle {
    create_before_destroy = true
  }

  depends_on = [aws_api_gateway_rest_api_policy.api, aws_api_gateway_integration_response.ping]
}

resource "aws_api_gateway_stage" "api" {
  rest_api_id   = aws_api_gateway_rest_api.api.id
  deployment_id = aws_api_gateway_deployment.api.id
  stage_name    = var.stage_name
}

output "api_id" {
  description = "The REST API id."
  value       = aws_api_gateway_rest_api.api.id
}

output "vpc_endpoint_id" {
  description = "The execute-api VPC endpoint (the aws:SourceVpce the policy allows)."
  value       = aws_vpc_endpoint.execute_api.id
}

output "invoke_url" {
  description = "The stage's invoke URL (private DNS name; resolves only inside the VPC)."
  value       = "https://${aws_api_gateway_rest_api.api.id}.execute-api.${data.aws_region.current.name}.amazonaws.com/${aws_api_gateway_stage.api.stage_name}/ping"
}
