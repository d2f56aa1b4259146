"""apply_policy, status and wait_for_alias (moto server and a fake DNS server on loopback)."""

from __future__ import annotations

import json
import threading

import pytest
from _dnsstub import DnsStub
from admin_lab import ACCOUNT, REGION, VPCE_A, VPCE_B, FakeAws, Moto, vpce_policy

from privateapi import admin
from privateapi._errors import InvalidInputError
from privateapi.policy import PolicySyntaxError, generate, parse_policy

# --- apply_policy ------------------------------------------------------------------------------


def test_apply_policy_saves_and_redeploys(moto: Moto) -> None:
    api_id = moto.private_api(policy=vpce_policy(VPCE_A), stage="prod")
    new = vpce_policy(VPCE_B)
    result = admin.apply_policy(api_id, json.dumps(new), stage="prod", endpoint_url=moto.url)
    assert [c.operation for c in result.calls] == [
        "GetRestApi",
        "UpdateRestApi",
        "CreateDeployment",
    ]
    assert json.loads(moto.api(api_id)["policy"]) == new
    assert result.deployment is not None
    assert moto.client.get_stages(restApiId=api_id)["item"][0]["deploymentId"] == (
        result.deployment.id
    )
    assert result.notes == ()
    assert result.warnings == ()


def test_apply_policy_without_deploy_says_it_does_nothing_yet(moto: Moto) -> None:
    api_id = moto.private_api(policy=vpce_policy(VPCE_A))
    result = admin.apply_policy(
        api_id, generate([VPCE_B]), deploy=False, endpoint_url=moto.url, region=REGION
    )
    assert [c.operation for c in result.calls] == ["GetRestApi", "UpdateRestApi"]
    assert result.deployment is None
    assert "is saved but NOT in effect" in result.notes[0]
    assert result.next_steps == (admin.NextStep("deploy", {"api_id": api_id, "stage": None}),)
    with_stage = admin.apply_policy(
        api_id, generate([VPCE_B]), deploy=False, stage="v1", endpoint_url=moto.url, region=REGION
    )
    assert with_stage.next_steps[0].args == {"api_id": api_id, "stage": "v1"}


def test_apply_policy_first_policy_allows_the_first_deployment(moto: Moto) -> None:
    api_id = moto.private_api()  # no policy: deploy alone would be refused
    result = admin.apply_policy(api_id, vpce_policy(VPCE_A), stage="v1", endpoint_url=moto.url)
    assert result.deployment is not None


def test_apply_policy_returns_lint_warnings(moto: Moto) -> None:
    api_id = moto.private_api(policy=vpce_policy(VPCE_A))
    open_policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "execute-api:Invoke",
                "Resource": "execute-api:/*",
                "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
            }
        ],
    }
    result = admin.apply_policy(
        api_id, open_policy, stage="prod", endpoint_url=moto.url, account=ACCOUNT
    )
    assert any("source-ip" in w for w in result.warnings)


def test_apply_policy_rejects_a_malformed_policy_before_any_call(fake_aws: FakeAws) -> None:
    with pytest.raises(PolicySyntaxError):
        admin.apply_policy(
            "a1b2c3d4e5",
            '{"Statement": [{"Effect": "Permit"}]}',
            stage="p",
            endpoint_url=fake_aws.url,
        )
    with pytest.raises(InvalidInputError, match="stage"):
        admin.apply_policy("a1b2c3d4e5", vpce_policy(VPCE_A), endpoint_url=fake_aws.url)
    assert fake_aws.requests == []


def test_apply_policy_dry_run(fake_aws: FakeAws) -> None:
    result = admin.apply_policy(
        "a1b2c3d4e5",
        generate([VPCE_A]),
        stage="prod",
        endpoint_url=fake_aws.url,
        dry_run=True,
        account=ACCOUNT,
    )
    assert fake_aws.requests == []
    assert [c.operation for c in result.calls] == [
        "GetRestApi",
        "UpdateRestApi",
        "CreateDeployment",
    ]
    op = result.calls[1].params["patchOperations"][0]
    assert (op["op"], op["path"]) == ("replace", "/policy")
    assert json.loads(op["value"]) == generate([VPCE_A])
    no_deploy = admin.apply_policy(
        "a1b2c3d4e5",
        parse_policy(generate([VPCE_A])),  # an already parsed policy is taken as it is
        deploy=False,
        endpoint_url=fake_aws.url,
        dry_run=True,
    )
    assert [c.operation for c in no_deploy.calls] == ["GetRestApi", "UpdateRestApi"]
    # A dry run saved nothing: the note says what *would* happen.
    assert "would be saved but NOT in effect" in no_deploy.notes[0]


# --- status ------------------------------------------------------------------------------------


def test_status_describes_the_api(moto: Moto) -> None:
    api_id = moto.private_api(
        policy=vpce_policy(VPCE_A, api_id="*"), vpce_ids=[VPCE_A], stage="prod"
    )
    moto.client.create_deployment(restApiId=api_id, stageName="dev", description="second")
    st = admin.status(api_id, endpoint_url=moto.url)
    assert st.is_private
    assert st.name == "orders"
    assert [e.vpce_id for e in st.endpoints] == [VPCE_A]
    assert (
        st.endpoints[0].alias_url
        == f"https://{api_id}-{VPCE_A}.execute-api.{REGION}.amazonaws.com/"
    )
    assert [s.name for s in st.stages] == ["dev", "prod"]
    assert all(s.last_deployed is not None for s in st.stages)
    assert st.stages[0].deployment_id != st.stages[1].deployment_id
    assert st.policy.present
    assert st.policy.source_vpces == (VPCE_A,)
    assert st.policy.who_may_call[0].startswith("Allow everyone: execute-api:Invoke on arn:aws:")
    assert "when aws:SourceVpce StringEquals " + VPCE_A in st.policy.who_may_call[0]
    assert st.policy.who_may_call[1].startswith("Deny everyone")
    doc = json.loads(json.dumps(st.to_dict()))
    assert doc["private"] is True
    assert doc["stages"][1]["last_deployed"].startswith("20")
    assert (
        doc["endpoints"][0]["alias_hostname"]
        == f"{api_id}-{VPCE_A}.execute-api.{REGION}.amazonaws.com"
    )


def test_status_without_policy_and_with_a_bad_policy(moto: Moto) -> None:
    api_id = moto.private_api()
    st = admin.status(api_id, endpoint_url=moto.url, include_domains=False)
    assert st.policy.present is False
    assert st.stages == ()
    assert st.endpoints == ()
    moto.client.update_rest_api(
        restApiId=api_id,
        patchOperations=[{"op": "replace", "path": "/policy", "value": '{"Statement": 3}'}],
    )
    st = admin.status(api_id, endpoint_url=moto.url, include_domains=False)
    assert st.policy.present
    assert st.policy.error


def test_status_policy_summary_names_vpcs_principals_and_lint(moto: Moto) -> None:
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/app"},
                "Action": "execute-api:Invoke",
                "Resource": f"arn:aws:execute-api:{REGION}:{ACCOUNT}:*/*",
                "Condition": {"StringEquals": {"aws:SourceVpc": "vpc-0123456789abcdef0"}},
            },
            {
                "Effect": "Allow",
                "NotPrincipal": {"AWS": "111122223333"},
                "NotAction": "execute-api:ManageConnections",
                "NotResource": f"arn:aws:execute-api:{REGION}:{ACCOUNT}:*/admin/*",
                "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
            },
        ],
    }
    api_id = moto.private_api(policy=policy)
    summary = admin.status(api_id, endpoint_url=moto.url, include_domains=False).policy
    assert summary.source_vpcs == ("vpc-0123456789abcdef0",)
    assert summary.who_may_call[0].startswith(f"Allow arn:aws:iam::{ACCOUNT}:role/app:")
    assert summary.who_may_call[1].startswith(
        "Allow everyone except 111122223333: not execute-api:ManageConnections on not arn:"
    )
    assert any("source-ip" in w for w in summary.warnings)


def test_status_lists_private_custom_domains(moto: Moto) -> None:
    api_id = moto.private_api(policy=vpce_policy(VPCE_A), stage="prod")
    moto.client.create_domain_name(
        domainName="orders.example.com",
        endpointConfiguration={"types": ["PRIVATE"]},
        certificateArn=f"arn:aws:acm:{REGION}:{ACCOUNT}:certificate/abc",
        policy=json.dumps(vpce_policy(VPCE_A)),
    )
    moto.client.create_base_path_mapping(
        domainName="orders.example.com", restApiId=api_id, basePath="v1", stage="prod"
    )
    st = admin.status(api_id, endpoint_url=moto.url)
    assert [d.domain_name for d in st.custom_domains] == ["orders.example.com"]
    assert st.custom_domains[0].base_paths == ("v1",)
    # moto 5.2 does not implement GetDomainNameAccessAssociations (404 HTML page): the
    # status says the associations were not checked instead of failing.
    assert any("access associations not checked" in n for n in st.notes)
    # ... in one readable line, not moto's HTML error page.
    assert not any("<html" in n.lower() for n in st.notes)
    assert any("an HTML page instead of an AWS error" in n for n in st.notes)
    domain = st.to_dict()["custom_domains"][0]
    assert domain["access_associations"] == []
    assert domain["access_associations_checked"] is False


def test_status_reads_access_associations(moto: Moto) -> None:
    api_id = moto.private_api(policy=vpce_policy(VPCE_A), stage="prod")
    arn = f"arn:aws:apigateway:{REGION}:{ACCOUNT}:/domainnames/pets.example.com+abcd1234"
    answers = {
        "get_domain_names": {
            "items": [
                {
                    "domainName": "pets.example.com",
                    "domainNameId": "abcd1234",
                    "domainNameArn": arn,
                    "endpointConfiguration": {"types": ["PRIVATE"]},
                },
                {
                    "domainName": "public.example.com",
                    "endpointConfiguration": {"types": ["REGIONAL"]},
                },
            ]
        },
        "get_base_path_mappings": {"items": [{"basePath": "(none)", "restApiId": api_id}]},
        "get_domain_name_access_associations": {
            "items": [
                {"domainNameArn": arn, "accessAssociationSource": VPCE_A},
                {"domainNameArn": "other", "accessAssociationSource": VPCE_B},
            ]
        },
    }
    # moto has no access associations: answer these three reads in place of the server.
    for name, answer in answers.items():
        setattr(moto.client, name, lambda _a=answer, **kw: _a)
    st = admin.status(api_id, client=moto.client)
    assert st.custom_domains[0].access_associations == (VPCE_A,)
    assert st.custom_domains[0].domain_name_id == "abcd1234"
    assert st.notes == ()


def test_status_notes_denied_domain_reads(moto: Moto) -> None:
    from botocore.exceptions import ClientError

    api_id = moto.private_api(policy=vpce_policy(VPCE_A))

    def denied(**kwargs: object) -> object:
        raise ClientError(
            {"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "GetDomainNames"
        )

    moto.client.get_domain_names = denied
    st = admin.status(api_id, client=moto.client)
    assert st.notes[0].startswith("custom domains not checked: GetDomainNames was denied")

    moto.client.get_domain_names = lambda **kw: {
        "items": [{"domainName": "a.example.com", "endpointConfiguration": {"types": ["PRIVATE"]}}]
    }
    moto.client.get_base_path_mappings = denied
    st = admin.status(api_id, client=moto.client)
    assert st.notes[0].startswith("base path mappings of a.example.com not checked")


def test_status_paginates(moto: Moto) -> None:
    api_id = moto.private_api(policy=vpce_policy(VPCE_A), stage="prod")
    real = moto.client.get_deployments
    pages = iter([{"items": [], "position": "next"}])

    def paged(**kwargs: object) -> object:
        if "position" not in kwargs:
            return next(pages)
        return real(**{k: v for k, v in kwargs.items() if k != "position"})

    moto.client.get_deployments = paged
    st = admin.status(api_id, client=moto.client, include_domains=False)
    assert st.stages[0].last_deployed is not None


# --- wait_for_alias ------------------------------------------------------------------------------


def test_wait_for_alias_polls_until_the_name_resolves() -> None:
    name = f"a1b2c3d4e5-{VPCE_A}.execute-api.{REGION}.amazonaws.com"
    server = DnsStub({name: {"A": ["10.0.1.23"]}}, ready_after=2)
    polls: list[admin.AliasPoll] = []
    try:
        found = admin.wait_for_alias(
            "a1b2c3d4e5",
            VPCE_A,
            REGION,
            timeout=10,
            interval=0.01,
            resolver=server.hostport,
            progress=polls.append,
        )
    finally:
        server.close()
    assert found.addresses == ("10.0.1.23",)
    assert found.attempts == 3
    assert found.hostname == name
    assert [p.answer for p in polls] == ["NXDOMAIN", "NXDOMAIN"]
    assert (polls[0].attempt, polls[0].timeout) == (1, 10)
    assert found.to_dict()["attempts"] == 3


def test_wait_for_alias_times_out_with_a_clear_message() -> None:
    server = DnsStub({"other.example.com": {"A": ["10.0.1.23"]}})
    try:
        with pytest.raises(admin.AliasNotResolvedError) as info:
            admin.wait_for_alias(
                "a1b2c3d4e5",
                VPCE_A,
                REGION,
                timeout=0.3,
                interval=0.05,
                resolver=server.hostport,
            )
    finally:
        server.close()
    err = info.value
    assert "did not resolve within 0.3 s" in str(err)
    assert "last answer: NXDOMAIN" in str(err)
    assert err.cause_code == "dns.nxdomain"
    assert "redeploy" in (err.hint or "")
    assert len(server.queries) >= 3


def test_wait_for_alias_reports_a_silent_resolver() -> None:
    silent = DnsStub(fault="TIMEOUT")  # bound, never answers
    try:
        with pytest.raises(admin.AliasNotResolvedError, match="did not answer"):
            admin.wait_for_alias(
                "a1b2c3d4e5",
                VPCE_A,
                REGION,
                timeout=0.5,
                interval=0.05,
                resolver=silent.hostport,
            )
    finally:
        silent.close()


def test_wait_for_alias_nodata_and_resolver_forms() -> None:
    import dns.resolver

    name = f"a1b2c3d4e5-{VPCE_A}.execute-api.{REGION}.amazonaws.com"
    server = DnsStub({name: {"A": ["10.0.1.23"]}}, ready_after=1, not_ready="NODATA")
    polls: list[admin.AliasPoll] = []
    try:
        res = dns.resolver.Resolver(configure=False)
        res.nameservers = ["127.0.0.1"]
        res.port = server.port
        found = admin.wait_for_alias(
            "a1b2c3d4e5",
            VPCE_A,
            REGION,
            timeout=2,
            interval=0.01,
            resolver=res,
            progress=polls.append,
        )
    finally:
        server.close()
    assert found.attempts == 2
    assert polls[0].answer == "no A record (NODATA)"
    from privateapi.admin._dns import make_resolver

    made = make_resolver("[::1]")  # [IPv6] without a port: port 53 (not queried here)
    assert (made.nameservers, made.port) == (["::1"], 53)
    for bad in ("127.0.0.1:x", "[::1]:0", "[]:53"):
        with pytest.raises(InvalidInputError, match="resolver"):
            admin.wait_for_alias("a1b2c3d4e5", VPCE_A, REGION, timeout=1, resolver=bad)
    with pytest.raises(InvalidInputError, match="timeout"):
        admin.wait_for_alias("a1b2c3d4e5", VPCE_A, REGION, timeout=0, resolver="127.0.0.1")


def test_wait_for_alias_progress_runs_in_the_calling_thread() -> None:
    name = f"a1b2c3d4e5-{VPCE_A}.execute-api.{REGION}.amazonaws.com"
    server = DnsStub({name: {"A": ["10.0.1.23"]}}, ready_after=1)
    threads: list[str] = []
    try:
        admin.wait_for_alias(
            "a1b2c3d4e5",
            VPCE_A,
            REGION,
            timeout=5,
            interval=0.01,
            resolver=f"[127.0.0.1]:{server.port}",
            progress=lambda p: threads.append(threading.current_thread().name),
        )
    finally:
        server.close()
    assert threads == [threading.current_thread().name]


def test_wait_for_alias_without_any_resolver_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    import dns.resolver

    def unconfigured(*args: object, **kwargs: object) -> None:
        raise dns.resolver.NoResolverConfiguration("no nameservers")

    monkeypatch.setattr(dns.resolver, "Resolver", unconfigured)
    with pytest.raises(InvalidInputError, match="no nameserver is configured"):
        admin.wait_for_alias("a1b2c3d4e5", VPCE_A, REGION, timeout=1)
