"""CloudFormation for the fleet: the probe stack, its StackSet, the coordinator, the SSM document.

Templates are built as data and printed as JSON (CloudFormation reads JSON and YAML
alike; JSON needs no extra dependency and is byte-stable). Every policy statement is
written out here, so what the probe may do is readable in one place; optional
statements are added only when asked for.

- :func:`probe_template`: one account's probe (a Lambda function in chosen subnets and
  security groups, its log group, a least-privilege role, and the permission letting
  the coordinator's account invoke it).
- :func:`stackset_template`: that stack in every account of some OUs, through a
  service-managed StackSet with auto-deployment (new accounts get the probe).
- :func:`coordinator_template`: the S3 bucket for reports and a Step Functions state
  machine whose Distributed Map invokes each probe with bounded concurrency and writes
  every result to S3 (``ResultWriter``).
- :func:`ssm_document` / :func:`ssm_template`: a Command document (schema 2.2) that
  runs ``privateapi doctor --json`` on managed instances and prints a compact result.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from privateapi._errors import InvalidInputError

__all__ = [
    "DOCUMENT_STEP",
    "PROBE_FUNCTION",
    "RUNTIME",
    "coordinator_template",
    "probe_template",
    "ssm_document",
    "ssm_template",
    "stackset_template",
    "to_json",
]

RUNTIME = "python3.12"
HANDLER = "privateapi.fleet.handler.handler"
PROBE_FUNCTION = "privateapi-fleet-probe"
#: The step of the SSM document whose output holds the result (GetCommandInvocation's
#: PluginName for a multi-step document).
DOCUMENT_STEP = "runDoctor"
SUBNETS_PARAMETER = "/privateapi/fleet/subnet-ids"
SECURITY_GROUPS_PARAMETER = "/privateapi/fleet/security-group-ids"

_OU = re.compile(r"^(ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}|r-[a-z0-9]{4,32})$")
_ACCOUNT = re.compile(r"^\d{12}$")
_SSM_NAME = re.compile(r"^/[A-Za-z0-9_.\-/]{1,1000}$")
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_INVOKE_ARN = re.compile(r"^arn:aws[a-z-]*:execute-api:[a-z0-9*-]+:(\d{12}|\*):[A-Za-z0-9*]+/\S*$")


def to_json(template: Any) -> str:
    """The template's text (sorted keys off: sections stay in CloudFormation's order)."""
    return json.dumps(template, indent=2) + "\n"


def _sub(text: str) -> dict[str, str]:
    return {"Fn::Sub": text}


def _role(
    service: str,
    policy_name: str,
    statements: list[dict[str, Any]],
    *,
    trust_condition: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An IAM role ``service`` assumes, with one inline policy."""
    trust: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": "sts:AssumeRole",
    }
    if trust_condition is not None:
        trust["Condition"] = trust_condition
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [trust]},
            "Policies": [
                {
                    "PolicyName": policy_name,
                    "PolicyDocument": {"Version": "2012-10-17", "Statement": statements},
                }
            ],
        },
    }


def _check(pattern: re.Pattern[str], name: str, value: object, expected: str) -> str:
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise InvalidInputError(name, value, expected)
    return value


def probe_template(
    *,
    invoke_arns: Sequence[str] = (),
    control_plane: bool = False,
    plain_parameters: bool = False,
    function_name: str = PROBE_FUNCTION,
) -> dict[str, Any]:
    """The probe stack of one account and region.

    Args:
        invoke_arns: ``execute-api:Invoke`` resource ARNs for signed probes (none: the
            probe goes unsigned, which is what a method without IAM authorization sees).
        control_plane: add read-only ``apigateway:GET`` and ``ec2:Describe*`` so the
            doctor's AWS checks run (``"aws": true`` in the event).
        plain_parameters: take subnet and security group ids directly; the default reads
            them from SSM parameters named the same in every account (so one StackSet
            serves accounts whose ids differ).
        function_name: the probe's name (the coordinator invokes it by name).
    """
    _check(_NAME, "function_name", function_name, "letters, digits, - and _ (at most 64)")
    for arn in invoke_arns:
        _check(
            _INVOKE_ARN,
            "invoke_arn",
            arn,
            "an execute-api ARN, e.g."
            " arn:aws:execute-api:us-east-1:111122223333:a1b2c3d4e5/*/GET/*",
        )
    if plain_parameters:
        subnets = {
            "Type": "List<AWS::EC2::Subnet::Id>",
            "Description": "Subnets of the probe's ENIs (one per AZ to cover).",
        }
        groups = {
            "Type": "List<AWS::EC2::SecurityGroup::Id>",
            "Description": "Security groups of the probe (egress TCP 443 to the endpoint,"
            " DNS to the resolver).",
        }
    else:
        subnets = {
            "Type": "AWS::SSM::Parameter::Value<List<AWS::EC2::Subnet::Id>>",
            "Default": SUBNETS_PARAMETER,
            "Description": "SSM parameter (same name in every account) listing the"
            " probe's subnets.",
        }
        groups = {
            "Type": "AWS::SSM::Parameter::Value<List<AWS::EC2::SecurityGroup::Id>>",
            "Default": SECURITY_GROUPS_PARAMETER,
            "Description": "SSM parameter listing the probe's security groups.",
        }
    function_arn = (
        "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:${FunctionName}"
    )
    log_group_arn = (
        "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}"
        ":log-group:/aws/lambda/${FunctionName}"
    )
    statements: list[dict[str, Any]] = [
        {
            "Sid": "Logs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": _sub(log_group_arn + ":*"),
        },
        {
            # What AWSLambdaVPCAccessExecutionRole grants: Lambda manages the ENIs with the
            # function's role; Describe* and these ENI actions take no resource ARN.
            "Sid": "VpcNetworkInterfaces",
            "Effect": "Allow",
            "Action": [
                "ec2:CreateNetworkInterface",
                "ec2:DescribeNetworkInterfaces",
                "ec2:DescribeSubnets",
                "ec2:DeleteNetworkInterface",
                "ec2:AssignPrivateIpAddresses",
                "ec2:UnassignPrivateIpAddresses",
            ],
            "Resource": "*",
        },
        {
            "Sid": "WhereItRuns",
            "Effect": "Allow",
            "Action": "lambda:GetFunctionConfiguration",
            "Resource": _sub(function_arn),
        },
    ]
    if invoke_arns:
        statements.append(
            {
                "Sid": "SignedProbe",
                "Effect": "Allow",
                "Action": "execute-api:Invoke",
                "Resource": list(invoke_arns),
            }
        )
    if control_plane:
        statements += [
            {
                "Sid": "ControlPlaneApiGateway",
                "Effect": "Allow",
                "Action": "apigateway:GET",
                "Resource": [
                    _sub("arn:${AWS::Partition}:apigateway:*::/restapis/*"),
                ],
            },
            {
                "Sid": "ControlPlaneEc2",
                "Effect": "Allow",
                "Action": [
                    "ec2:DescribeVpcEndpoints",
                    "ec2:DescribeSecurityGroups",
                    "ec2:DescribeVpcAttribute",
                ],
                "Resource": "*",
            },
        ]
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "privateapi fleet probe: the doctor as a Lambda function in this VPC.",
        "Parameters": {
            "FunctionName": {
                "Type": "String",
                "Default": function_name,
                "AllowedPattern": "^[A-Za-z0-9_-]{1,64}$",
            },
            "SubnetIds": subnets,
            "SecurityGroupIds": groups,
            "CodeBucket": {
                "Type": "String",
                "Description": "S3 bucket (in this region) holding the probe zip.",
            },
            "CodeKey": {
                "Type": "String",
                "Description": "Key of the zip built by `privateapi fleet package`.",
            },
            "Architecture": {
                "Type": "String",
                "Default": "arm64",
                "AllowedValues": ["arm64", "x86_64"],
            },
            "CoordinatorAccountId": {
                "Type": "String",
                "AllowedPattern": "^\\d{12}$",
                "Description": "The account whose state machine invokes the probe.",
            },
            "TimeoutSeconds": {"Type": "Number", "Default": 120, "MinValue": 10, "MaxValue": 900},
            "MemorySize": {"Type": "Number", "Default": 256, "MinValue": 128, "MaxValue": 10240},
        },
        "Resources": {
            "LogGroup": {
                "Type": "AWS::Logs::LogGroup",
                "Properties": {
                    "LogGroupName": _sub("/aws/lambda/${FunctionName}"),
                    "RetentionInDays": 14,
                },
            },
            "Role": _role("lambda.amazonaws.com", "privateapi-fleet-probe", statements),
            "Function": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "FunctionName": {"Ref": "FunctionName"},
                    "Runtime": RUNTIME,
                    "Handler": HANDLER,
                    "Architectures": [{"Ref": "Architecture"}],
                    "Code": {"S3Bucket": {"Ref": "CodeBucket"}, "S3Key": {"Ref": "CodeKey"}},
                    "Role": {"Fn::GetAtt": ["Role", "Arn"]},
                    "Timeout": {"Ref": "TimeoutSeconds"},
                    "MemorySize": {"Ref": "MemorySize"},
                    "VpcConfig": {
                        "SubnetIds": {"Ref": "SubnetIds"},
                        "SecurityGroupIds": {"Ref": "SecurityGroupIds"},
                    },
                    "LoggingConfig": {"LogGroup": {"Ref": "LogGroup"}},
                    "Environment": {"Variables": {"AWS_EC2_METADATA_DISABLED": "true"}},
                },
            },
            "CoordinatorInvoke": {
                "Type": "AWS::Lambda::Permission",
                "Properties": {
                    "Action": "lambda:InvokeFunction",
                    "FunctionName": {"Ref": "Function"},
                    "Principal": {"Ref": "CoordinatorAccountId"},
                },
            },
        },
        "Outputs": {"FunctionArn": {"Value": {"Fn::GetAtt": ["Function", "Arn"]}}},
    }


def stackset_template(
    organizational_units: Sequence[str],
    regions: Sequence[str],
    *,
    code_bucket: str,
    code_key: str,
    coordinator_account: str | None = None,
    architecture: str = "arm64",
    stack_set_name: str = "privateapi-fleet-probe",
    delegated_admin: bool = False,
    probe: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A service-managed StackSet putting :func:`probe_template` in every account of the OUs.

    ``AutoDeployment`` is on, so accounts that join an OU later get the probe and
    accounts that leave lose it. ``coordinator_account`` defaults to the account the
    template is deployed in (where the coordinator usually lives too).
    """
    from privateapi._targets import validate_region

    if not organizational_units:
        raise InvalidInputError(
            "organizational_units", [], "at least one OU id (ou-...) or root (r-...)"
        )
    for ou in organizational_units:
        _check(_OU, "organizational_unit", ou, "an OU id such as ou-ab12-cdef3456 or a root r-ab12")
    if not regions:
        raise InvalidInputError("regions", [], "at least one region")
    regions = [validate_region(r) for r in regions]
    if coordinator_account is not None:
        _check(_ACCOUNT, "coordinator_account", coordinator_account, "a 12-digit account id")
    if architecture not in ("arm64", "x86_64"):
        raise InvalidInputError("architecture", architecture, "arm64 or x86_64")
    _check(_NAME, "stack_set_name", stack_set_name, "letters, digits, - and _")
    body = probe if probe is not None else probe_template()
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "privateapi fleet: the probe in every account of the chosen OUs"
        " (service-managed StackSet).",
        "Resources": {
            "ProbeStackSet": {
                "Type": "AWS::CloudFormation::StackSet",
                "Properties": {
                    "StackSetName": stack_set_name,
                    "Description": "privateapi fleet probe (one Lambda function per account"
                    " and region)",
                    "PermissionModel": "SERVICE_MANAGED",
                    "AutoDeployment": {"Enabled": True, "RetainStacksOnAccountRemoval": False},
                    "CallAs": "DELEGATED_ADMIN" if delegated_admin else "SELF",
                    "Capabilities": ["CAPABILITY_IAM"],
                    "ManagedExecution": {"Active": True},
                    "OperationPreferences": {
                        "RegionConcurrencyType": "PARALLEL",
                        "MaxConcurrentPercentage": 25,
                        "FailureTolerancePercentage": 10,
                    },
                    "Parameters": [
                        {"ParameterKey": "CodeBucket", "ParameterValue": code_bucket},
                        {"ParameterKey": "CodeKey", "ParameterValue": code_key},
                        {"ParameterKey": "Architecture", "ParameterValue": architecture},
                        {
                            "ParameterKey": "CoordinatorAccountId",
                            "ParameterValue": coordinator_account or {"Ref": "AWS::AccountId"},
                        },
                    ],
                    "StackInstancesGroup": [
                        {
                            "DeploymentTargets": {
                                "OrganizationalUnitIds": list(organizational_units)
                            },
                            "Regions": regions,
                        }
                    ],
                    "TemplateBody": json.dumps(body, separators=(",", ":")),
                },
            }
        },
        "Outputs": {"StackSetId": {"Value": {"Ref": "ProbeStackSet"}}},
    }


def state_machine_definition(
    *, max_concurrency: int = 40, function_name: str = PROBE_FUNCTION
) -> dict[str, Any]:
    """The coordinator's Amazon States Language definition (``${...}`` are substitutions).

    Execution input: ``{"probes": [{"function": ARN, "labels": {...}}, ...],
    "targets": [...], "timeout": 3}`` (what ``privateapi fleet run`` sends).
    """
    if (
        not isinstance(max_concurrency, int)
        or isinstance(max_concurrency, bool)
        or not 1 <= max_concurrency <= 10_000
    ):
        raise InvalidInputError(
            "max_concurrency", max_concurrency, "a whole number from 1 to 10000"
        )
    return {
        "Comment": "privateapi fleet: run the probe in every account and VPC, results to S3",
        "StartAt": "ProbeEveryVpc",
        "States": {
            "ProbeEveryVpc": {
                "Type": "Map",
                "ItemsPath": "$.probes",
                "ItemSelector": {
                    "probe.$": "$$.Map.Item.Value",
                    "targets.$": "$.targets",
                    "timeout.$": "$.timeout",
                },
                "MaxConcurrency": max_concurrency,
                # A probe that fails is a finding, not a reason to stop the others.
                "ToleratedFailurePercentage": 100,
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                    "StartAt": "RunDoctor",
                    "States": {
                        "RunDoctor": {
                            "Type": "Task",
                            # Service integrations are named in the aws partition's form
                            # (cfn-lint's schema insists); other partitions unverified.
                            "Resource": "arn:aws:states:::lambda:invoke",
                            "Parameters": {
                                "FunctionName.$": "$.probe.function",
                                "Payload": {
                                    "targets.$": "$.targets",
                                    "timeout.$": "$.timeout",
                                    "labels.$": "$.probe.labels",
                                    "limit": "sfn",
                                },
                            },
                            "OutputPath": "$.Payload",
                            "Retry": [
                                {
                                    "ErrorEquals": [
                                        "Lambda.TooManyRequestsException",
                                        "Lambda.ServiceException",
                                        "Lambda.SdkClientException",
                                        "Lambda.AWSLambdaException",
                                    ],
                                    "IntervalSeconds": 2,
                                    "MaxAttempts": 3,
                                    "BackoffRate": 2,
                                    "JitterStrategy": "FULL",
                                }
                            ],
                            "End": True,
                        }
                    },
                },
                "ResultWriter": {
                    "Resource": "arn:aws:states:::s3:putObject",
                    "Parameters": {"Bucket": "${ResultsBucket}", "Prefix": "runs"},
                },
                "End": True,
            }
        },
    }


def coordinator_template(
    *,
    max_concurrency: int = 40,
    function_name: str = PROBE_FUNCTION,
    state_machine_name: str = "privateapi-fleet",
    retention_days: int = 30,
) -> dict[str, Any]:
    """The coordinator stack: results bucket, role, and the Distributed Map state machine."""
    _check(_NAME, "function_name", function_name, "letters, digits, - and _ (at most 64)")
    _check(_NAME, "state_machine_name", state_machine_name, "letters, digits, - and _")
    if (
        not isinstance(retention_days, int)
        or isinstance(retention_days, bool)
        or not 1 <= retention_days <= 3650
    ):
        raise InvalidInputError("retention_days", retention_days, "days from 1 to 3650")
    definition = state_machine_definition(
        max_concurrency=max_concurrency, function_name=function_name
    )
    states = "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}"
    machine_arn = f"{states}:stateMachine:{state_machine_name}"
    execution_arn = f"{states}:execution:{state_machine_name}/*"
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "privateapi fleet coordinator: Step Functions Distributed Map over"
        " the probes, reports to S3.",
        "Resources": {
            "ResultsBucket": {
                "Type": "AWS::S3::Bucket",
                "Properties": {
                    "BucketEncryption": {
                        "ServerSideEncryptionConfiguration": [
                            {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
                        ]
                    },
                    "PublicAccessBlockConfiguration": {
                        "BlockPublicAcls": True,
                        "BlockPublicPolicy": True,
                        "IgnorePublicAcls": True,
                        "RestrictPublicBuckets": True,
                    },
                    "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
                    "LifecycleConfiguration": {
                        "Rules": [
                            {
                                "Id": "expire-reports",
                                "Status": "Enabled",
                                "ExpirationInDays": retention_days,
                            }
                        ]
                    },
                },
            },
            "Role": _role(
                "states.amazonaws.com",
                "privateapi-fleet-coordinator",
                [
                    {
                        # Every member account's probe, by name: each probe's
                        # resource policy admits only this account.
                        "Sid": "InvokeProbes",
                        "Effect": "Allow",
                        "Action": "lambda:InvokeFunction",
                        "Resource": [
                            _sub(f"arn:${{AWS::Partition}}:lambda:*:*:function:{function_name}"),
                            _sub(f"arn:${{AWS::Partition}}:lambda:*:*:function:{function_name}:*"),
                        ],
                    },
                    {
                        "Sid": "ChildExecutions",
                        "Effect": "Allow",
                        "Action": "states:StartExecution",
                        "Resource": _sub(machine_arn),
                    },
                    {
                        "Sid": "ChildExecutionStatus",
                        "Effect": "Allow",
                        "Action": [
                            "states:DescribeExecution",
                            "states:StopExecution",
                        ],
                        "Resource": _sub(execution_arn),
                    },
                    {
                        "Sid": "WriteResults",
                        "Effect": "Allow",
                        "Action": [
                            "s3:PutObject",
                            "s3:GetObject",
                            "s3:ListMultipartUploadParts",
                            "s3:AbortMultipartUpload",
                        ],
                        "Resource": _sub("${ResultsBucket.Arn}/runs/*"),
                    },
                ],
                trust_condition={"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}},
            ),
            "StateMachine": {
                "Type": "AWS::StepFunctions::StateMachine",
                "Properties": {
                    "StateMachineName": state_machine_name,
                    "StateMachineType": "STANDARD",
                    "RoleArn": {"Fn::GetAtt": ["Role", "Arn"]},
                    "Definition": definition,
                    "DefinitionSubstitutions": {"ResultsBucket": {"Ref": "ResultsBucket"}},
                },
            },
        },
        "Outputs": {
            "StateMachineArn": {"Value": {"Ref": "StateMachine"}},
            "ResultsBucketName": {"Value": {"Ref": "ResultsBucket"}},
        },
    }


# SSM substitutes parameters into the script as text: each parameter is confined to
# characters that cannot end a quoted string or start a command.
_URLS_PATTERN = r"^[A-Za-z0-9 ._:/?=&%~+,@-]{1,4000}$"
_ARGS_PATTERN = r"^[A-Za-z0-9 ._:/=,@-]{0,1000}$"


def ssm_document(*, timeout_seconds: int = 600) -> dict[str, Any]:
    """The Command document (schema 2.2): fetch the probe zip, run the doctor, print a result.

    The result is a fleet result fitted to GetCommandInvocation's 24,000 characters of
    stdout. The instance needs Python 3.11+ (the zip's wheels are built for the version
    given to ``privateapi fleet package --python-version``).
    """
    if (
        not isinstance(timeout_seconds, int)
        or isinstance(timeout_seconds, bool)
        or not 30 <= timeout_seconds <= 172800
    ):
        raise InvalidInputError("timeout_seconds", timeout_seconds, "seconds from 30 to 172800")
    script = [
        "set -eu",
        "set -f",
        'cd "$(dirname "$0")" 2>/dev/null || true',
        "ZIP=$(ls privateapi-fleet/*.zip | head -n 1)",
        "rm -rf probe && mkdir probe",
        "'{{ Python }}' -m zipfile -e \"$ZIP\" probe",
        'export PYTHONPATH="$PWD/probe" NO_COLOR=1',
        "i=0",
        "for url in {{ Targets }}; do",
        "  i=$((i+1))",
        "  '{{ Python }}' -m privateapi_cli doctor --json {{ DoctorArgs }} \"$url\""
        ' > "report-$i.json" || true',
        "done",
        "'{{ Python }}' -m privateapi_cli fleet compact --limit ssm report-*.json",
    ]
    return {
        "schemaVersion": "2.2",
        "description": "privateapi fleet: run `privateapi doctor --json` against private APIs"
        " from this instance and print one compact fleet result (at most 24,000"
        " characters).",
        "parameters": {
            "ArtifactUrl": {
                "type": "String",
                "description": "S3 URL of the probe zip built by `privateapi fleet package`"
                " (https://BUCKET.s3.REGION.amazonaws.com/KEY or s3://BUCKET/KEY).",
                "allowedPattern": r"^(s3://|https://)[A-Za-z0-9._/-]+\.zip$",
            },
            "Targets": {
                "type": "String",
                "description": "Invoke URLs to probe, separated by spaces.",
                "allowedPattern": _URLS_PATTERN,
            },
            "DoctorArgs": {
                "type": "String",
                "description": "Extra `privateapi doctor` options, e.g. --no-aws --timeout 3.",
                "default": "--no-aws",
                "allowedPattern": _ARGS_PATTERN,
            },
            "Python": {
                "type": "String",
                "description": "The Python 3.11+ interpreter to use.",
                "default": "python3",
                "allowedPattern": r"^[A-Za-z0-9._/-]{1,200}$",
            },
        },
        "mainSteps": [
            {
                "action": "aws:downloadContent",
                "name": "downloadProbe",
                "inputs": {
                    "sourceType": "S3",
                    "sourceInfo": '{"path":"{{ ArtifactUrl }}"}',
                    "destinationPath": "privateapi-fleet",
                },
            },
            {
                "action": "aws:runShellScript",
                "name": DOCUMENT_STEP,
                "precondition": {"StringEquals": ["platformType", "Linux"]},
                "inputs": {"timeoutSeconds": str(timeout_seconds), "runCommand": script},
            },
        ],
    }


def ssm_template(
    *, document_name: str = "privateapi-fleet-doctor", timeout_seconds: int = 600
) -> dict[str, Any]:
    """A stack holding :func:`ssm_document` as an ``AWS::SSM::Document``."""
    _check(
        re.compile(r"^[A-Za-z0-9_.-]{3,128}$"),
        "document_name",
        document_name,
        "3-128 letters, digits, _ . -",
    )
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "privateapi fleet: the SSM Command document running the doctor on"
        " managed instances.",
        "Resources": {
            "Document": {
                "Type": "AWS::SSM::Document",
                "Properties": {
                    "Name": document_name,
                    "DocumentType": "Command",
                    "DocumentFormat": "JSON",
                    "Content": ssm_document(timeout_seconds=timeout_seconds),
                },
            }
        },
        "Outputs": {"DocumentName": {"Value": {"Ref": "Document"}}},
    }
