"""The admin results: frozen dataclasses that serialise one way."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime

import pytest

from privateapi import InvalidInputError, PrivateApiError, admin
from privateapi.admin._results import Record

WHEN = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
ENDPOINT = admin.EndpointAssociation("vpce-0123456789abcdef0", "a1b2c3d4e5-vpce-0123.example")


def _samples() -> list[Record]:
    policy = admin.PolicySummary(True, ("Allow everyone",), ("vpce-1",), (), ("w",), None)
    return [
        admin.AwsCall("apigateway", "UpdateRestApi", {"patchOperations": ({"op": "add"},)}),
        admin.Deployment("dep1", "prod", WHEN, "why"),
        ENDPOINT,
        admin.ChangeResult(
            "associate",
            "a1b2c3d4e5",
            "us-east-1",
            False,
            (admin.AwsCall("apigateway", "GetRestApi", {"restApiId": "a1b2c3d4e5"}),),
            changed=True,
            endpoints=(ENDPOINT,),
            deployment=admin.Deployment("dep1", "prod", WHEN),
            next_steps=(admin.NextStep("deploy", {"api_id": "a1b2c3d4e5", "stage": None}),),
        ),
        admin.StageInfo("prod", "dep1", WHEN),
        policy,
        admin.CustomDomainInfo("a.example.com", None, ("v1",), (), associations_checked=False),
        admin.ApiStatus(
            "a1b2c3d4e5",
            "orders",
            "us-east-1",
            ("PRIVATE",),
            False,
            (ENDPOINT,),
            (admin.StageInfo("prod", "dep1", WHEN),),
            policy,
        ),
        admin.AliasPoll(1, 0.12345, 10.0, "h.example", "NXDOMAIN"),
        admin.AliasResolution("h.example", ("10.0.0.5",), 2, 1.23456),
        admin.NextStep("status", {"api_id": "a1b2c3d4e5"}),
    ]


def test_every_result_serialises_through_the_one_mechanism() -> None:
    classes = {type(r) for r in _samples()}
    assert classes == set(Record.__subclasses__())  # every result is sampled here
    for cls in classes:
        assert "to_dict" not in cls.__dict__, f"{cls.__name__} writes its own to_dict"
        assert dataclasses.is_dataclass(cls)
        assert cls.__dataclass_params__.frozen  # type: ignore[attr-defined]


@pytest.mark.parametrize("record", _samples(), ids=lambda r: type(r).__name__)
def test_documents_are_json_and_complete(record: Record) -> None:
    doc = record.to_dict()
    assert json.loads(json.dumps(doc)) == doc  # JSON-ready: no datetime, tuple, object left
    for f in dataclasses.fields(record):  # type: ignore[arg-type]
        assert f.metadata.get("key", f.name) in doc


def test_conversions() -> None:
    status = _samples()[7]
    assert isinstance(status, admin.ApiStatus)
    doc = status.to_dict()
    assert doc["private"] is True  # a computed value
    assert doc["stages"][0]["last_deployed"] == "2025-01-02T03:04:05+00:00"
    assert doc["endpoints"][0]["alias_url"] == "https://a1b2c3d4e5-vpce-0123.example/"
    domain = admin.CustomDomainInfo("a.example.com", None, ("v1",), associations_checked=False)
    assert domain.to_dict()["access_associations_checked"] is False  # a renamed field
    assert admin.AliasResolution("h", (), 1, 1.23456).to_dict()["elapsed"] == 1.235
    call = admin.AwsCall("apigateway", "UpdateRestApi", {"patchOperations": ({"op": "add"},)})
    assert call.to_dict()["params"] == {"patchOperations": [{"op": "add"}]}
    assert str(call) == 'apigateway UpdateRestApi {"patchOperations": [{"op": "add"}]}'


def test_admin_errors_are_private_api_errors() -> None:
    for cls in (
        admin.AdminError,
        admin.MissingPermissionError,
        admin.ResourceNotFoundError,
        admin.AliasNotResolvedError,
    ):
        assert issubclass(cls, PrivateApiError)
    err = admin.ResourceNotFoundError("gone")
    assert err.cause_code == "aws.not-found"
    assert err.hint  # the cause's hint when the error has none of its own
    assert (err.fields, err.next_step) == ((), None)


def test_validate_alias_wait_names_the_argument() -> None:
    admin.validate_alias_wait(timeout=1, interval=0.5, resolver="127.0.0.1:53")
    for kwargs, field in (
        ({"timeout": 0}, "timeout"),
        ({"interval": float("nan")}, "interval"),
        ({"resolver": "x"}, "resolver"),
        ({"resolver": 53}, "resolver"),
    ):
        with pytest.raises(InvalidInputError) as info:
            admin.validate_alias_wait(**kwargs)  # type: ignore[arg-type]
        assert info.value.field == field
