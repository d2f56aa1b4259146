"""Running and collecting against moto on loopback, and recorded answers where moto cannot.

moto can: CloudFormation StackSets, Step Functions StartExecution, SSM SendCommand and
GetCommandInvocation (always "Success", empty stdout), S3, Lambda Invoke (its "simple"
backend returns canned results). moto cannot: run a Distributed Map, produce a command's
stdout, or answer ListCommandInvocations; there our side of the contract is tested with
recorded answers validated against their schemas (see data/README.md).
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest
from conftest import REGION, FakeAws, client, recorded

from privateapi import InvalidInputError
from privateapi.fleet import (
    AwsSession,
    FleetAwsError,
    coordinator_template,
    invoke_probes,
    load_results,
    probe_template,
    probes_from_stack_set,
    send_command,
    ssm_document,
    start_run,
    summarize,
)
from privateapi.fleet._templates import state_machine_definition

URL = "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod"


def _session(url: str, **kw: Any) -> AwsSession:
    return AwsSession(region=REGION, endpoint_url=url, **kw)


def test_stack_set_instances_become_probes(moto: str) -> None:
    """create_stack_set + create_stack_instances with the probe template; ListStackInstances."""
    cfn = client("cloudformation", moto)
    # moto deploys each instance's stack; it cannot build the probe's function (its code
    # is an S3 object in each member account), so the set carries a stand-in body: what
    # is under test is our reading of ListStackInstances.
    body = {
        "Resources": {"Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "probe"}}}
    }
    assert probe_template()["Resources"]["Function"]["Type"] == "AWS::Lambda::Function"
    cfn.create_stack_set(
        StackSetName="probe-set",
        TemplateBody=json.dumps(body),
        Capabilities=["CAPABILITY_IAM"],
    )
    cfn.create_stack_instances(
        StackSetName="probe-set", Accounts=["222233334444"], Regions=["us-east-1", "eu-west-1"]
    )
    probes = probes_from_stack_set(_session(moto), "probe-set")
    assert sorted(p["function"] for p in probes) == [
        "arn:aws:lambda:eu-west-1:222233334444:function:privateapi-fleet-probe",
        "arn:aws:lambda:us-east-1:222233334444:function:privateapi-fleet-probe",
    ]
    assert all(p["labels"]["account"] == "222233334444" for p in probes)
    with pytest.raises(FleetAwsError, match="ListStackInstances"):
        probes_from_stack_set(_session(moto), "no-such-set")


def test_stacks_from_the_templates_are_accepted(moto: str) -> None:
    """create_stack with the SSM and coordinator templates (moto creates what it supports)."""
    from privateapi.fleet import ssm_template

    cfn = client("cloudformation", moto)
    for name, tpl in (("ssm", ssm_template()), ("coord", coordinator_template())):
        cfn.create_stack(
            StackName=f"fleet-{name}", TemplateBody=json.dumps(tpl), Capabilities=["CAPABILITY_IAM"]
        )
        status = cfn.describe_stacks(StackName=f"fleet-{name}")["Stacks"][0]["StackStatus"]
        assert status == "CREATE_COMPLETE", (name, status)


def test_start_run_starts_the_coordinator(moto: str) -> None:
    """StartExecution with the probes and targets (moto records it; it runs no Distributed Map)."""
    sfn = client("stepfunctions", moto)
    definition = json.dumps(state_machine_definition()).replace("${ResultsBucket}", "results")
    arn = sfn.create_state_machine(
        name="privateapi-fleet", definition=definition, roleArn="arn:aws:iam::123456789012:role/sfn"
    )["stateMachineArn"]
    probes = [
        {
            "function": "arn:aws:lambda:us-east-1:222233334444:function:privateapi-fleet-probe",
            "labels": {"ou": "ou-x"},
        }
    ]
    run = start_run(_session(moto), arn, probes, [URL], timeout=2)
    assert run.execution_arn and run.probes == 1
    sent = json.loads(sfn.describe_execution(executionArn=run.execution_arn)["input"])
    assert sent == {"probes": probes, "targets": [URL], "timeout": 2}
    with pytest.raises(InvalidInputError, match="url"):
        start_run(_session(moto), arn, probes, ["nope"])
    with pytest.raises(InvalidInputError, match="state_machine"):
        start_run(_session(moto), "arn:x", probes, [URL])
    with pytest.raises(InvalidInputError, match="probe"):
        start_run(_session(moto), arn, [{"function": "f"}], [URL])
    with pytest.raises(InvalidInputError, match="at least one probe"):
        start_run(_session(moto), arn, [], [URL])


def test_send_command_by_tag_and_read_the_invocations(moto: str) -> None:
    """SendCommand by tag (moto resolves the tag to instances), then GetCommandInvocation.

    moto's invocations have empty stdout and name the plugin "aws:runShellScript"
    (real SSM names it after the document's step, runDoctor): each instance shows as
    not probed, which is what an empty stdout means.
    """
    ec2 = client("ec2", moto)
    ids = [
        i["InstanceId"]
        for i in ec2.run_instances(
            ImageId="ami-12c6146b",
            MinCount=2,
            MaxCount=2,
            TagSpecifications=[
                {"ResourceType": "instance", "Tags": [{"Key": "Team", "Value": "web"}]}
            ],
        )["Instances"]
    ]
    client("ssm", moto).create_document(
        Content=json.dumps(ssm_document()),
        Name="privateapi-fleet-doctor-tag",
        DocumentType="Command",
        DocumentFormat="JSON",
    )
    run = send_command(
        _session(moto),
        "privateapi-fleet-doctor-tag",
        ["Team=web"],
        [URL],
        artifact_url="s3://b/probe.zip",
    )
    assert run.command_id
    cmd = client("ssm", moto).list_commands(CommandId=run.command_id)["Commands"][0]
    assert sorted(cmd["InstanceIds"]) == sorted(ids)
    assert cmd["Parameters"]["Targets"] == [URL]
    results, _ = load_results(
        [f"ssm:{run.command_id}"],
        aws=_session(moto),
        instance_ids=ids,
        plugin_name="aws:runShellScript",
    )
    s = summarize(results)
    assert s.verdict_counts == {"error": 2} and s.exit_code == 1
    with pytest.raises(InvalidInputError, match="tag"):
        send_command(_session(moto), "d", ["no-equals"], [URL], artifact_url="s3://b/p.zip")


def _moto_api(moto: str, path: str, body: dict[str, Any]) -> None:
    req = urllib.request.Request(f"{moto}{path}", data=json.dumps(body).encode(), method="POST")
    with urllib.request.urlopen(req, timeout=10) as r:
        assert r.status in (200, 201)


def test_invoke_probes_with_canned_lambda_results(moto: str) -> None:
    """Lambda Invoke through moto's simple backend: its canned answers are our recorded results."""
    import io
    import zipfile

    _moto_api(moto, "/moto-api/config", {"lambda": {"use_docker": False}})
    try:
        role = client("iam", moto).create_role(
            RoleName="probe-invoke", AssumeRolePolicyDocument="{}"
        )["Role"]["Arn"]
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            zf.writestr("x.py", "")
        arns = [
            client("lambda", moto).create_function(
                FunctionName=f"probe-{i}",
                Runtime="python3.12",
                Role=role,
                Handler="x.h",
                Code={"ZipFile": buf.getvalue()},
            )["FunctionArn"]
            for i in range(2)
        ]
        canned = json.loads(recorded("resultwriter_succeeded_0")[2]["Output"])
        _moto_api(
            moto,
            "/moto-api/static/lambda-simple/response",
            {"results": [json.dumps(canned), "not json"], "region": REGION},
        )
        run = invoke_probes(
            _session(moto), [{"function": a, "labels": {}} for a in arns], [URL], parallel=1
        )
        verdicts = sorted(r["verdict"] for r in run.results)
        assert verdicts == ["error", "fail"]
        s = summarize(run.results)
        assert s.cause_counts == {"tcp.timeout": 1}
        bad = invoke_probes(
            _session(moto), [{"function": arns[0].replace("probe-0", "gone"), "labels": {}}], [URL]
        )
        assert bad.results[0]["verdict"] == "error"
    finally:
        _moto_api(moto, "/moto-api/config", {"lambda": {"use_docker": True}})


def test_s3_collection_follows_the_result_writer_manifest(moto: str) -> None:
    """A ResultWriter run in S3 (recorded files): the manifest is followed, failures kept."""
    s3 = client("s3", moto)
    s3.create_bucket(Bucket="privateapi-fleet-results")
    manifest = recorded("resultwriter_manifest")
    files = {
        manifest["ResultFiles"]["SUCCEEDED"][0]["Key"]: recorded("resultwriter_succeeded_0"),
        manifest["ResultFiles"]["FAILED"][0]["Key"]: recorded("resultwriter_failed_0"),
        "runs/0b9c6e1e-6a3e-3c1a-9b0c-5a7f1d2e3f40/manifest.json": manifest,
    }
    for key, doc in files.items():
        s3.put_object(Bucket="privateapi-fleet-results", Key=key, Body=json.dumps(doc).encode())
    results, skipped = load_results(["s3://privateapi-fleet-results/runs/"], aws=_session(moto))
    s = summarize(results, skipped)
    assert s.verdict_counts == {"error": 1, "fail": 1, "pass": 2}
    (tcp,) = [d for d in s.deviations if d.outcome == "tcp.timeout"]
    assert tcp.shared["ou"] == "ou-zz99-badbad99"
    assert any("FAILED" in x for x in skipped)
    # Without a manifest: every .json under the prefix.
    s3.put_object(
        Bucket="privateapi-fleet-results",
        Key="loose/a.json",
        Body=json.dumps(recorded("resultwriter_succeeded_0")).encode(),
    )
    loose, _ = load_results(["s3://privateapi-fleet-results/loose/"], aws=_session(moto))
    assert len(loose) == 3


def test_execution_output_leads_to_the_results(fake_aws: FakeAws) -> None:
    """DescribeExecution (recorded) → ResultWriterDetails → manifest → result files."""
    desc = recorded("describe_execution")
    recorded("map_output")
    fake_aws.answers["DescribeExecution"] = desc
    manifest = recorded("resultwriter_manifest")
    key = json.loads(desc["output"])["ResultWriterDetails"]["Key"]
    fake_aws.objects[f"/privateapi-fleet-results/{key}"] = json.dumps(manifest).encode()
    fake_aws.objects[
        f"/privateapi-fleet-results/{manifest['ResultFiles']['SUCCEEDED'][0]['Key']}"
    ] = json.dumps(recorded("resultwriter_succeeded_0")).encode()
    fake_aws.objects[f"/privateapi-fleet-results/{manifest['ResultFiles']['FAILED'][0]['Key']}"] = (
        json.dumps(recorded("resultwriter_failed_0")).encode()
    )
    results, _ = load_results([desc["executionArn"]], aws=_session(fake_aws.url))
    assert summarize(results).verdict_counts == {"error": 1, "fail": 1, "pass": 2}
    running = dict(desc, status="RUNNING")
    running.pop("output")
    fake_aws.answers["DescribeExecution"] = running
    with pytest.raises(InvalidInputError, match="RUNNING"):
        load_results([desc["executionArn"]], aws=_session(fake_aws.url))


def test_ssm_invocations_recorded(fake_aws: FakeAws) -> None:
    """ListCommandInvocations + GetCommandInvocation (recorded, stdout ≤ 24,000): read back."""
    fake_aws.answers["ListCommandInvocations"] = recorded("list_command_invocations")
    fake_aws.answers["GetCommandInvocation"] = recorded("get_command_invocation")
    results, _ = load_results(
        ["ssm:0b9c6e1e-0000-4000-8000-00000000c0de"], aws=_session(fake_aws.url)
    )
    (r,) = results
    assert r["where"]["instance_id"] == "i-0123456789abcdef0"
    assert summarize(results).cause_counts == {"dns.nxdomain": 1}
    targets = [t for _, _, t in fake_aws.requests]
    assert targets == ["AmazonSSM.ListCommandInvocations", "AmazonSSM.GetCommandInvocation"]


def test_dry_runs_make_no_call(fake_aws: FakeAws) -> None:
    """Every AWS path in a dry run: the calls are listed, the server sees nothing."""
    aws = _session(fake_aws.url, dry_run=True)
    sm = "arn:aws:states:us-east-1:111122223333:stateMachine:privateapi-fleet"
    assert probes_from_stack_set(aws, "probe-set") == []
    start_run(aws, sm, [], [URL])
    send_command(aws, "doc", ["Team=web"], [URL], artifact_url="s3://b/p.zip")
    invoke_probes(aws, [{"function": "arn:aws:lambda:us-east-1:222233334444:function:p"}], [URL])
    load_results(
        ["s3://bucket/runs/", "ssm:abc", "arn:aws:states:us-east-1:1:execution:m:e"], aws=aws
    )
    ops = [c.operation for c in aws.calls]
    assert ops == [
        "ListStackInstances",
        "StartExecution",
        "SendCommand",
        "Invoke",
        "ListObjectsV2",
        "ListCommandInvocations",
        "DescribeExecution",
    ]
    assert fake_aws.requests == []
