"""Resource-policy evaluator for API Gateway private REST APIs.

Parse a policy, evaluate it for a request as AWS would (allow / explicit deny / implicit
deny, with the deciding statements and a per-statement explanation), combine it with the
VPC endpoint policy and the caller side as API Gateway does, lint it for private-API traps
and generate the recommended policy.

Example:
    >>> from privateapi.policy import Request, evaluate, generate
    >>> policy = generate(["vpce-1a2b3c4d"])
    >>> arn = "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/GET/pets"
    >>> evaluate(policy, Request.for_private_api(arn, vpce="vpce-1a2b3c4d")).outcome
    'allow'
    >>> evaluate(policy, Request.for_private_api(arn, vpce="vpce-99999999")).outcome
    'explicit_deny'
"""

from __future__ import annotations

from privateapi.policy._authorize import (
    AUTH_TYPES,
    TABLES,
    Authorization,
    AuthType,
    Side,
    Table,
    authorize,
    combine,
)
from privateapi.policy._conditions import OPERATORS, ConditionResult
from privateapi.policy._errors import PolicySyntaxError, PolicyTooLargeError
from privateapi.policy._evaluate import (
    OUTCOMES,
    POLICY_KINDS,
    Decision,
    Element,
    ElementResult,
    Outcome,
    PolicyKind,
    StatementResult,
    evaluate,
)
from privateapi.policy._generate import generate
from privateapi.policy._lint import (
    EXECUTE_API_KEYS,
    LINT_CODES,
    LintCode,
    LintWarning,
    Severity,
    lint,
)
from privateapi.policy._match import PrincipalMatch
from privateapi.policy._model import (
    ANONYMOUS,
    ApiContext,
    Condition,
    Effect,
    Policy,
    Principal,
    Request,
    Statement,
    StatementRef,
)
from privateapi.policy._parse import MAX_DEPTH, parse_policy
from privateapi.policy._size import MAX_POLICY_CHARS, check_size

__all__ = [
    "ANONYMOUS",
    "AUTH_TYPES",
    "EXECUTE_API_KEYS",
    "LINT_CODES",
    "MAX_DEPTH",
    "MAX_POLICY_CHARS",
    "OPERATORS",
    "OUTCOMES",
    "POLICY_KINDS",
    "TABLES",
    "ApiContext",
    "AuthType",
    "Authorization",
    "Condition",
    "ConditionResult",
    "Decision",
    "Effect",
    "Element",
    "ElementResult",
    "LintCode",
    "LintWarning",
    "Outcome",
    "Policy",
    "PolicyKind",
    "PolicySyntaxError",
    "PolicyTooLargeError",
    "Principal",
    "PrincipalMatch",
    "Request",
    "Severity",
    "Side",
    "Statement",
    "StatementRef",
    "StatementResult",
    "Table",
    "authorize",
    "check_size",
    "combine",
    "evaluate",
    "generate",
    "lint",
    "parse_policy",
]
