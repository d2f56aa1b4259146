"""privateapi.admin against moto's server on loopback, through botocore's wire protocol."""

from __future__ import annotations

import json
from typing import Any

import botocore.session
import pytest
from admin_lab import REGION, VPCE_A, VPCE_B, FakeAws, Moto, vpce_policy

from privateapi import admin
from privateapi._errors import InvalidInputError

ALIAS_A = f"-{VPCE_A}.execute-api.{REGION}.amazonaws.com"


# --- associate / disassociate ------------------------------------------------------------------


def test_associate_adds_endpoints_and_reports_aliases(moto: Moto) -> None:
    # Needs the fixture's fix: moto itself ignores the vpcEndpointIds patch operations.
    api_id = moto.private_api(policy=vpce_policy(VPCE_A))
    result = admin.associate_endpoints(api_id, [VPCE_A, VPCE_B], endpoint_url=moto.url)
    assert result.changed
    assert result.vpc_endpoint_ids == (VPCE_A, VPCE_B)
    assert moto.api(api_id)["endpointConfiguration"]["vpcEndpointIds"] == [VPCE_A, VPCE_B]
    assert [c.operation for c in result.calls] == ["GetRestApi", "UpdateRestApi"]
    ops = result.calls[1].params["patchOperations"]
    assert ops == [
        {"op": "add", "path": "/endpointConfiguration/vpcEndpointIds", "value": VPCE_A},
        {"op": "add", "path": "/endpointConfiguration/vpcEndpointIds", "value": VPCE_B},
    ]
    assert result.endpoints[0].alias_hostname == api_id + ALIAS_A
    assert result.endpoints[0].alias_url == f"https://{api_id}{ALIAS_A}/"
    assert result.deployment is None
    assert any("Redeploy" in n for n in result.notes)
    assert result.next_steps[0] == admin.NextStep("deploy", {"api_id": api_id, "stage": None})
    assert [s.args["vpce_id"] for s in result.next_steps[1:]] == [VPCE_A, VPCE_B]
    doc = json.loads(json.dumps(result.to_dict()))
    assert doc["vpc_endpoint_ids"] == [VPCE_A, VPCE_B]
    assert doc["next_steps"][0] == {
        "operation": "deploy",
        "args": {"api_id": api_id, "stage": None},
    }


def test_associate_with_redeploy_creates_a_deployment(moto: Moto) -> None:
    api_id = moto.private_api(policy=vpce_policy(VPCE_A), stage="prod")
    result = admin.associate_endpoints(
        api_id, VPCE_A, endpoint_url=moto.url, redeploy_stage="prod", region=REGION
    )
    assert result.deployment is not None
    assert result.deployment.stage == "prod"
    assert result.deployment.id
    stages = moto.client.get_stages(restApiId=api_id)["item"]
    assert stages[0]["deploymentId"] == result.deployment.id
    assert not any("Redeploy" in n for n in result.notes)


def test_associate_is_idempotent(moto: Moto) -> None:
    api_id = moto.private_api(policy=vpce_policy(VPCE_A), vpce_ids=[VPCE_A])
    result = admin.associate_endpoints(api_id, [VPCE_A], endpoint_url=moto.url)
    assert not result.changed
    assert [c.operation for c in result.calls] == ["GetRestApi"]
    assert result.warnings == (f"{VPCE_A} was already associated; nothing to do for it",)


def test_disassociate_removes_only_what_is_there(moto: Moto) -> None:
    api_id = moto.private_api(policy=vpce_policy(VPCE_A), vpce_ids=[VPCE_A, VPCE_B], stage="v1")
    result = admin.disassociate_endpoints(
        api_id, [VPCE_B, "vpce-11111111"], endpoint_url=moto.url, redeploy_stage="v1"
    )
    assert result.vpc_endpoint_ids == (VPCE_A,)
    assert moto.api(api_id)["endpointConfiguration"]["vpcEndpointIds"] == [VPCE_A]
    assert result.warnings == ("vpce-11111111 was not associated; nothing to do for it",)
    assert [c.operation for c in result.calls] == [
        "GetRestApi",
        "UpdateRestApi",
        "CreateDeployment",
    ]
    assert result.calls[1].params["patchOperations"][0]["op"] == "remove"


def test_associate_refuses_a_regional_api(moto: Moto) -> None:
    api_id = moto.private_api(types=("REGIONAL",))
    with pytest.raises(admin.AdminError, match="only be associated with PRIVATE") as info:
        admin.associate_endpoints(api_id, VPCE_A, endpoint_url=moto.url)
    assert info.value.cause_code == "aws.api-not-private"


def test_associate_validates_before_calling() -> None:
    with pytest.raises(InvalidInputError, match="vpce_id"):
        admin.associate_endpoints("a1b2c3d4e5", ["vpc-123"], region=REGION, dry_run=True)
    with pytest.raises(InvalidInputError, match="api_id"):
        admin.associate_endpoints("nope", [VPCE_A], region=REGION, dry_run=True)
    with pytest.raises(InvalidInputError, match="at least one"):
        admin.associate_endpoints("a1b2c3d4e5", [], region=REGION, dry_run=True)
    with pytest.raises(InvalidInputError, match="stage"):
        admin.associate_endpoints(
            "a1b2c3d4e5", [VPCE_A], region=REGION, redeploy_stage="no/slash", dry_run=True
        )
    with pytest.raises(InvalidInputError, match="region"):
        admin.associate_endpoints("a1b2c3d4e5", [VPCE_A], region="mars-1", dry_run=True)


def test_dry_run_makes_no_call_and_lists_the_plan(fake_aws: FakeAws) -> None:
    fake_aws.answer(500, "InternalFailure", "must not be called")
    result = admin.associate_endpoints(
        "A1B2C3D4E5",
        [VPCE_A, VPCE_A],
        endpoint_url=fake_aws.url,
        redeploy_stage="prod",
        dry_run=True,
    )
    assert fake_aws.requests == []
    assert result.dry_run
    assert result.api_id == "a1b2c3d4e5"
    assert [c.operation for c in result.calls] == [
        "GetRestApi",
        "UpdateRestApi",
        "CreateDeployment",
    ]
    assert len(result.calls[1].params["patchOperations"]) == 1  # duplicates dropped
    assert str(result.calls[2]).startswith('apigateway CreateDeployment {"restApiId": "a1b2c3d4e5"')
    deploy = admin.deploy("a1b2c3d4e5", "prod", "why", endpoint_url=fake_aws.url, dry_run=True)
    assert [c.to_dict()["operation"] for c in deploy.calls] == ["GetRestApi", "CreateDeployment"]
    assert deploy.calls[1].params["description"] == "why"
    assert fake_aws.requests == []


def test_region_comes_from_the_environment(moto: Moto, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_REGION")
    plan = admin.disassociate_endpoints("a1b2c3d4e5", VPCE_A, dry_run=True)
    assert plan.region == REGION  # AWS_DEFAULT_REGION via botocore's session
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")  # botocore ignores it; the AWS CLI does not
    assert admin.deploy("a1b2c3d4e5", "prod", dry_run=True).region == "eu-west-1"


def test_missing_region_is_an_input_error(moto: Moto, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.delenv("AWS_REGION")
    with pytest.raises(InvalidInputError, match="region is missing") as info:
        admin.deploy("a1b2c3d4e5", "prod", dry_run=True)
    assert info.value.field == "region"
    assert "--" not in str(info.value)  # the CLI names its flag, the library never does


def test_unknown_profile_is_an_input_error(moto: Moto) -> None:
    with pytest.raises(InvalidInputError, match="profile 'ghost'"):
        admin.deploy("a1b2c3d4e5", "prod", profile="ghost", dry_run=True)
    with pytest.raises(InvalidInputError, match="profile 'ghost'"):
        admin.deploy("a1b2c3d4e5", "prod", profile="ghost", region=REGION)


# --- deploy ------------------------------------------------------------------------------------


def test_deploy_creates_a_deployment(moto: Moto) -> None:
    api_id = moto.private_api(policy=vpce_policy(VPCE_A))
    result = admin.deploy(api_id, "prod", "release 7", endpoint_url=moto.url)
    assert result.changed
    assert result.deployment is not None
    assert result.deployment.description == "release 7"
    assert result.deployment.created is not None
    assert moto.client.get_stages(restApiId=api_id)["item"][0]["stageName"] == "prod"


def test_deploy_without_policy_is_refused_like_aws(moto: Moto) -> None:
    # AWS answers 400 "Private REST API doesn't have a resource policy attached to it";
    # moto 5.2 deploys anyway, so this tests our own pre-check, which gives the same reason.
    api_id = moto.private_api()
    with pytest.raises(admin.AdminError, match="doesn't have a resource policy") as info:
        admin.deploy(api_id, "prod", endpoint_url=moto.url)
    assert info.value.cause_code == "policy.missing"
    assert info.value.next_step == admin.NextStep(
        "apply_policy", {"api_id": api_id, "stage": "prod"}
    )
    assert "--" not in (info.value.hint or "")
    assert moto.client.get_stages(restApiId=api_id)["item"] == []


def test_deploy_maps_aws_own_no_policy_answer(fake_aws: FakeAws) -> None:
    fake_aws.answer(
        400,
        "BadRequestException",
        "Private REST API doesn't have a resource policy attached to it",
    )
    with pytest.raises(admin.AdminError, match="API Gateway refused") as info:
        admin.deploy("a1b2c3d4e5", "prod", endpoint_url=fake_aws.url)
    assert info.value.cause_code == "policy.missing"


def test_deploy_honours_aws_endpoint_url_environment(
    moto: Moto, monkeypatch: pytest.MonkeyPatch
) -> None:
    api_id = moto.private_api(policy=vpce_policy(VPCE_A))
    # botocore's service-specific variable: the service id "API Gateway" -> API_GATEWAY.
    monkeypatch.setenv("AWS_ENDPOINT_URL_API_GATEWAY", moto.url)
    result = admin.deploy(api_id, "prod")
    assert result.deployment is not None
    monkeypatch.delenv("AWS_ENDPOINT_URL_API_GATEWAY")
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto.url)
    assert admin.deploy(api_id, "prod").deployment is not None


def test_injected_client_and_session_are_used(moto: Moto) -> None:
    api_id = moto.private_api(policy=vpce_policy(VPCE_A))
    result = admin.deploy(api_id, "a", client=moto.client)
    assert result.region == REGION
    session = botocore.session.get_session()
    result = admin.deploy(api_id, "b", session=session, endpoint_url=moto.url, region=REGION)
    assert result.deployment is not None


# --- errors ------------------------------------------------------------------------------------


def test_not_found_names_the_api(moto: Moto) -> None:
    with pytest.raises(admin.ResourceNotFoundError, match="REST API 'zzzzzzzzzz' was not found"):
        admin.deploy("zzzzzzzzzz", "prod", endpoint_url=moto.url)


@pytest.mark.parametrize(
    ("call", "permission"),
    [
        (lambda url: admin.status("a1b2c3d4e5", endpoint_url=url), "apigateway:GET"),
        (
            lambda url: admin.apply_policy(
                "a1b2c3d4e5", vpce_policy(VPCE_A), stage="prod", endpoint_url=url
            ),
            "apigateway:GET",
        ),
    ],
)
def test_access_denied_names_the_permission(fake_aws: FakeAws, call: Any, permission: str) -> None:
    fake_aws.answer(
        403,
        "AccessDeniedException",
        "User: arn:aws:iam::123456789012:user/dev is not authorized to perform: apigateway:GET",
    )
    with pytest.raises(admin.MissingPermissionError) as info:
        call(fake_aws.url)
    assert permission in str(info.value)
    assert "arn:aws:apigateway:us-east-1::/restapis/a1b2c3d4e5" in str(info.value)
    assert info.value.cause_code == "aws.access-denied"
    assert "Grant apigateway:GET" in (info.value.hint or "")
    assert "testing" not in str(info.value)  # never the credentials


def test_access_denied_on_policy_update_names_both_actions(
    moto: Moto, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Only the write is denied: read through moto, then fail UpdateRestApi like AWS would.
    from botocore.exceptions import ClientError

    api_id = moto.private_api(policy=vpce_policy(VPCE_A))

    def denied(**kwargs: Any) -> Any:
        raise ClientError(
            {
                "Error": {"Code": "AccessDeniedException", "Message": "not authorized"},
                "ResponseMetadata": {"HTTPStatusCode": 403},
            },
            "UpdateRestApi",
        )

    monkeypatch.setattr(moto.client, "update_rest_api", denied)
    with pytest.raises(admin.MissingPermissionError) as info:
        admin.apply_policy(api_id, vpce_policy(VPCE_B), stage="prod", client=moto.client)
    assert info.value.permissions == ("apigateway:PATCH", "apigateway:UpdateRestApiPolicy")
    with pytest.raises(admin.MissingPermissionError, match="apigateway:PATCH on"):
        admin.associate_endpoints(api_id, VPCE_B, client=moto.client)


@pytest.mark.parametrize(
    ("status", "error_type", "message", "expected"),
    [
        (403, "UnrecognizedClientException", "The security token is invalid", "credentials"),
        (429, "TooManyRequestsException", "Too Many Requests", "throttled"),
        (409, "ConflictException", "busy", "ConflictException: busy"),
    ],
)
def test_other_aws_errors_become_clear_messages(
    fake_aws: FakeAws,
    status: int,
    error_type: str,
    message: str,
    expected: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")  # no retry back-off in the test
    fake_aws.answer(status, error_type, message)
    with pytest.raises(admin.AdminError, match=expected) as info:
        admin.deploy("a1b2c3d4e5", "prod", endpoint_url=fake_aws.url)
    assert info.value.operation == "GetRestApi"


def test_unreachable_endpoint(aws_env: None) -> None:
    import socket

    with socket.socket() as s:  # a loopback port with nothing listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(admin.AdminError, match="could not reach") as info:
        admin.deploy("a1b2c3d4e5", "prod", endpoint_url=f"http://127.0.0.1:{port}")
    assert info.value.cause_code == "aws.unreachable"


def test_no_credentials(moto: Moto, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with pytest.raises(admin.AdminError, match="no usable AWS credentials") as info:
        admin.deploy("a1b2c3d4e5", "prod", endpoint_url=moto.url)
    assert info.value.cause_code == "creds.missing"


def test_bad_endpoint_url_is_an_input_error(moto: Moto) -> None:
    with pytest.raises(InvalidInputError, match="endpoint_url 'not a url'"):
        admin.deploy("a1b2c3d4e5", "prod", endpoint_url="not a url")


def test_other_botocore_errors(moto: Moto) -> None:
    from botocore.exceptions import ParamValidationError

    def broken(**kwargs: Any) -> Any:
        raise ParamValidationError(report="restApiId is wrong")

    moto.client.get_rest_api = broken
    with pytest.raises(admin.AdminError, match=r"GetRestApi failed: (?s:.*)restApiId is wrong"):
        admin.deploy("a1b2c3d4e5", "prod", client=moto.client)


def test_access_denied_on_deployment_names_post(moto: Moto) -> None:
    from botocore.exceptions import ClientError

    api_id = moto.private_api(policy=vpce_policy(VPCE_A))

    def denied(**kwargs: Any) -> Any:
        raise ClientError(
            {"Error": {"Code": "AccessDeniedException", "Message": "not authorized"}},
            "CreateDeployment",
        )

    moto.client.create_deployment = denied
    with pytest.raises(admin.MissingPermissionError) as info:
        admin.deploy(api_id, "prod", client=moto.client)
    assert info.value.permissions == ("apigateway:POST",)
    assert info.value.resource == f"arn:aws:apigateway:{REGION}::/restapis/{api_id}/deployments"


def test_a_named_profile_supplies_region_and_credentials(
    moto: Moto, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    api_id = moto.private_api(policy=vpce_policy(VPCE_A))
    config = tmp_path / "config"
    config.write_text("[profile dev]\nregion = us-east-1\n")
    credentials = tmp_path / "credentials"
    credentials.write_text("[dev]\naws_access_key_id = dev\naws_secret_access_key = dev\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION", "AWS_REGION"):
        monkeypatch.delenv(name)
    result = admin.deploy(api_id, "prod", profile="dev", endpoint_url=moto.url)
    assert result.region == REGION
    assert result.deployment is not None


def test_a_failed_redeploy_says_the_change_was_made(moto: Moto) -> None:
    api_id = moto.private_api(policy=vpce_policy(VPCE_A))
    moto.client.delete_method(
        restApiId=api_id,
        resourceId=moto.client.get_resources(restApiId=api_id)["items"][0]["id"],
        httpMethod="GET",
    )  # AWS (and moto) refuse to deploy an API without methods
    with pytest.raises(admin.AdminError) as info:
        admin.associate_endpoints(api_id, VPCE_B, endpoint_url=moto.url, redeploy_stage="prod")
    assert str(info.value).startswith("the endpoints were associated, then CreateDeployment")
    assert moto.api(api_id)["endpointConfiguration"]["vpcEndpointIds"] == [VPCE_B]
    with pytest.raises(admin.AdminError, match=r"^nothing needed to change, then"):
        admin.associate_endpoints(api_id, VPCE_B, endpoint_url=moto.url, redeploy_stage="prod")
    with pytest.raises(admin.AdminError, match=r"^the policy was saved but is NOT in effect, then"):
        admin.apply_policy(api_id, vpce_policy(VPCE_B), stage="prod", endpoint_url=moto.url)
