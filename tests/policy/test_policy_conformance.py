"""Conformance: iam-simulate's core-engine cases, read at test time (never copied here).

The data is AGPL-licensed third-party test data in ``../shared/conformance/iam-policy/``
beside the checkout (``/work/shared/conformance`` in the team's layout); the
``conformance_dir`` fixture fails loudly, naming the path, when it is missing. Only the
decision is compared (``Allowed`` / ``ImplicitlyDenied`` / ``ExplicitlyDenied``); the
files name no deciding statement.

The cases use S3/KMS/IAM actions, but the rules they test are service-independent. The
harness below is IAM's general combination (not API Gateway's tables, which have their
own tests): RCP deny wins, SCPs bind signed callers only, each VPC endpoint policy must
allow, any explicit deny wins, then same account = identity or resource policy allows
(an allow through an account principal alone delegates to identity policies), cross
account = both allow, anonymous = resource policy allows.

Applicable files (the ``use`` list of ``iam-policy/README.md``):

=================================================  ==========================================
file                                               note
=================================================  ==========================================
anonymous.json                                     RCP/SCP cases handled by the harness
basicResourcePolicies-SameAccount.json
basicResourcePolicies-DifferentAccount.json
notPrincipal.json
noPrincipalElement.json
identityOnly.json
identityExplicitDeny.json
conditions/*.json
commas.json
edgeCases/whitespaceActions.json
endpoints/*.json                                   except conditionDiscovery.json
blog.json
integrationTests.json
sessions.json
=================================================  ==========================================

Not applicable, and why:

======================================================  =====================================
excluded                                                reason
======================================================  =====================================
every case with ``simulation.mode == "Discovery"``      a what-if mode, not AWS's decision
endpoints/conditionDiscovery.json                       Discovery mode only
resourceWildcards/crossPatternIntersections.json        all 7 cases have a wildcard *request*
                                                        resource (pattern intersection); an
                                                        execute-api call always has one
                                                        concrete ARN
resourceWildcards/requestWildcards.json, s3Objects      wildcard request resources, S3 rules
discoveryMode/**                                        Discovery mode
kms/**, sts/**, iam/**, s3/**                           service-specific behaviour
wildcardOnlyActions/**                                  needs AWS's service catalogue
permissionBoundaries-*.json, scps.json, rcps.json,      policy types API Gateway's resource
sessionPolicies.json, blockedBy.json,                   policy evaluation does not model
boundaryNotPrincipalDenyResource.json                   (boundaries, session policies, full
                                                        SCP/RCP hierarchies)
======================================================  =====================================
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from privateapi.policy import Decision, Outcome, Request, evaluate

_APPLICABLE = (
    "anonymous.json",
    "basicResourcePolicies-SameAccount.json",
    "basicResourcePolicies-DifferentAccount.json",
    "notPrincipal.json",
    "noPrincipalElement.json",
    "identityOnly.json",
    "identityExplicitDeny.json",
    "conditions/*.json",
    "commas.json",
    "edgeCases/whitespaceActions.json",
    "endpoints/*.json",
    "blog.json",
    "integrationTests.json",
    "sessions.json",
)
_EXCLUDED_FILES = ("endpoints/conditionDiscovery.json",)
_EXPECTED: dict[str, Outcome] = {
    "Allowed": "allow",
    "ImplicitlyDenied": "implicit_deny",
    "ExplicitlyDenied": "explicit_deny",
}
# The upstream README counts 105 strict cases in the "use" list, 7 of them the
# crossPatternIntersections cases excluded above.
_MIN_CASES = 98


def _cases(root: Path) -> list[tuple[str, dict[str, Any]]]:
    base = root / "iam-policy" / "iam-simulate" / "coreEngineTests"
    if not base.is_dir():
        pytest.fail(f"iam-simulate cases not found at {base}")
    found: list[tuple[str, dict[str, Any]]] = []
    for pattern in _APPLICABLE:
        paths = sorted(base.glob(pattern))
        if not paths:
            pytest.fail(f"no conformance file matches {base / pattern}")
        for path in paths:
            rel = path.relative_to(base).as_posix()
            if rel in _EXCLUDED_FILES:
                continue
            for case in json.loads(path.read_text(encoding="utf-8")):
                if (case.get("simulation") or {}).get("mode") == "Discovery":
                    continue
                found.append((f"{rel}::{case['name']}", case))
    return found


def _simulate(case: dict[str, Any]) -> Outcome:
    raw = case["request"]
    who = raw["principal"]
    principal = "anonymous" if isinstance(who, dict) else who
    request = Request(
        resource=raw["resource"]["resource"],
        principal=principal,
        action=raw["action"],
        context=raw.get("context") or {},
    )
    owner = raw["resource"]["accountId"]
    for level in case.get("resourceControlPolicies") or []:
        for doc in level["policies"]:
            if evaluate(doc, request).outcome == "explicit_deny":
                return "explicit_deny"
    if principal != "anonymous":
        for level in case.get("serviceControlPolicies") or []:
            scp = [evaluate(doc, request, kind="identity").outcome for doc in level["policies"]]
            if "explicit_deny" in scp:
                return "explicit_deny"
            if "allow" not in scp:
                return "implicit_deny"
    for doc in case.get("endpointPolicies") or []:
        outcome = evaluate(doc, request, kind="endpoint").outcome
        if outcome != "allow":
            return outcome
    identity: list[Decision] = []
    if principal != "anonymous":
        identity = [
            evaluate(doc, request, kind="identity") for doc in case.get("identityPolicies") or []
        ]
    docs = ([case["resourcePolicy"]] if case.get("resourcePolicy") else []) + (
        case.get("resourcePolicies") or []
    )
    resource = [evaluate(doc, request) for doc in docs]
    if any(d.outcome == "explicit_deny" for d in identity + resource):
        return "explicit_deny"
    identity_allows = any(d.allowed for d in identity)
    if principal == "anonymous":
        return "allow" if any(d.allowed for d in resource) else "implicit_deny"
    if request.caller.account == owner:
        direct = any(d.allowed and not d.delegated for d in resource)
        return "allow" if identity_allows or direct else "implicit_deny"
    both = identity_allows and any(d.allowed for d in resource)
    return "allow" if both else "implicit_deny"


def test_conformance_cases(conformance_dir: Path) -> None:
    cases = _cases(conformance_dir)
    assert len(cases) >= _MIN_CASES, f"only {len(cases)} applicable cases found"
    failures = []
    for name, case in cases:
        want = _EXPECTED[case["expected"]["response"]]
        got = _simulate(case)
        if got != want:
            failures.append(f"{name}: expected {want}, got {got}")
    assert not failures, "\n".join(failures)


def test_excluded_intersections_really_use_wildcard_requests(conformance_dir: Path) -> None:
    # The exclusion rests on every case of that file asking about a wildcard resource.
    path = (
        conformance_dir
        / "iam-policy/iam-simulate/coreEngineTests/resourceWildcards/crossPatternIntersections.json"
    )
    cases = json.loads(path.read_text(encoding="utf-8"))
    assert cases
    assert all("*" in c["request"]["resource"]["resource"] for c in cases)
