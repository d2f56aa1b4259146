"""The parse error of the policy evaluator."""

from __future__ import annotations

from privateapi._errors import InvalidInputError

__all__ = ["PolicySyntaxError", "PolicyTooLargeError"]


class PolicySyntaxError(InvalidInputError):
    """A policy document that cannot be parsed, naming where the problem is.

    The message starts with the location (``Policy``, or ``Statement[2] (Sid 'DenyOthers')``),
    then names the key and the problem, then what was expected.

    Attributes:
        statement: the zero-based index of the statement at fault, or ``None`` for the document.
        sid: that statement's ``Sid``, if it has one.
        key: the element or key at fault (``Effect``, ``Condition``, ``aws:SourceVpce``...).
        problem: the problem, without the location.

    Example:
        >>> from privateapi.policy import parse_policy
        >>> try:
        ...     parse_policy({"Statement": [{"Sid": "A", "Effect": "Permit"}]})
        ... except PolicySyntaxError as exc:
        ...     print(exc)
        Statement[0] (Sid 'A'): Effect 'Permit' is not valid; expected 'Allow' or 'Deny'
    """

    def __init__(
        self,
        problem: str,
        *,
        statement: int | None = None,
        sid: str | None = None,
        key: str | None = None,
        value: object = None,
        expected: str = "",
    ) -> None:
        super().__init__(key or "policy", value, expected or "a valid IAM policy document")
        self.statement = statement
        self.sid = sid
        self.key = key
        self.problem = problem
        if statement is None:
            where = "Policy"
        elif sid is not None:
            where = f"Statement[{statement}] (Sid {sid!r})"
        else:
            where = f"Statement[{statement}]"
        text = f"{where}: {problem}"
        if expected:
            text += f"; expected {expected}"
        self.message = text
        self.args = (text,)

    def __str__(self) -> str:
        return self.message


class PolicyTooLargeError(InvalidInputError):
    """A resource policy over API Gateway's size limit, refused before it is sent.

    Attributes:
        size: the policy's length in characters, as measured (see
            :func:`privateapi.policy.check_size`).
        limit: the limit it exceeds (8,192 by default).

    Example:
        >>> from privateapi.policy import check_size
        >>> big = {"Statement": [{"Sid": "S" * 9000, "Effect": "Allow", "Principal": "*",
        ...     "Action": "execute-api:Invoke", "Resource": "execute-api:/*"}]}
        >>> try:
        ...     check_size(big)
        ... except PolicyTooLargeError as exc:
        ...     print(exc.size, exc.limit, exc)
        9117 8192 policy is 9,117 characters: expected at most 8,192 characters (API ...)
    """

    def __init__(self, size: int, limit: int) -> None:
        expected = (
            f"at most {limit:,} characters (API Gateway's limit for a REST API resource"
            " policy, counted on the compact JSON that is sent)"
        )
        # The value named is the size, never the document (it may be long).
        super().__init__("policy", size, expected)
        self.size = size
        self.limit = limit
        self.args = (f"policy is {size:,} characters: expected {expected}",)

    def __str__(self) -> str:
        return str(self.args[0])
