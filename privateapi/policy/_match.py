"""Wildcard, action, resource (ARN) and principal matching.

Patterns are turned into regular expressions once, when a policy is compiled; every
character other than ``*`` and ``?`` is escaped, so ``.``, ``+``, ``$`` or ``(`` in an ARN
stay literal (a bug PMapper, moto and SAM CLI share).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from privateapi.policy._model import ApiContext, Principal, _Caller

__all__ = [
    "MATCH_ACCOUNT",
    "MATCH_DIRECT",
    "MATCH_NONE",
    "CompiledPrincipal",
    "Piece",
    "action_regex",
    "arn_regex",
    "expand_short_form",
    "is_short_form",
    "resource_regex",
    "split_resource",
    "wildcard_regex",
]

#: A principal element did not name the caller.
MATCH_NONE = 0
#: The caller matched only through an account principal (``"123456789012"``, ``...:root``),
#: which delegates to the account's own identity policies.
MATCH_ACCOUNT = 1
#: The caller matched directly (``"*"``, its own ARN, its role for a session).
MATCH_DIRECT = 2

_ACCOUNT_ID = re.compile(r"^\d{12}$")
_UNIQUE_ID = re.compile(r"^A[A-Z0-9]{3}[A-Z0-9]{12,}$")

#: A piece of a pattern: its text, and whether that text is literal (from a policy
#: variable such as ``${aws:username}`` or ``${*}``) rather than a wildcard pattern.
Piece = tuple[str, bool]


def wildcard_regex(pieces: Iterable[Piece] | str, *, star: str = ".*", one: str = ".") -> str:
    """The regex source for a wildcard pattern: ``*`` is ``star``, ``?`` is ``one``.

    Literal pieces are escaped whole, so a substituted value like ``Bob*`` is no wildcard.
    """
    if isinstance(pieces, str):
        pieces = ((pieces, False),)
    out: list[str] = []
    for text, literal in pieces:
        if literal:
            out.append(re.escape(text))
            continue
        for ch in text:
            if ch == "*":
                out.append(star)
            elif ch == "?":
                out.append(one)
            else:
                out.append(re.escape(ch))
    return "".join(out)


def action_regex(actions: Sequence[str]) -> re.Pattern[str] | None:
    """One case-insensitive regex for a list of actions, or ``None`` if one is ``*``.

    Commas and surrounding spaces are kept as written, so ``"s3:Get,Put"`` or
    ``"s3:GetObject "`` match nothing (as in AWS and iam-simulate).
    """
    if "*" in actions:
        return None
    source = "|".join(f"(?:{wildcard_regex(a)})" for a in actions) or "(?!)"
    return re.compile(source, re.IGNORECASE | re.DOTALL)


def arn_regex(pieces: Sequence[Piece]) -> str | None:
    """Segment-wise ARN pattern (``ArnLike``): ``*`` and ``?`` never cross a colon.

    Returns ``None`` when the pattern does not have the six colon-separated parts of an ARN.
    """
    segments: list[list[Piece]] = [[]]
    for text, literal in pieces:
        if literal:
            segments[-1].append((text, True))
            continue
        parts = text.split(":")
        segments[-1].append((parts[0], False))
        for part in parts[1:]:
            segments.append([(part, False)])
    if len(segments) < 6:
        return None
    head = segments[:5]
    # The sixth part is everything after the fifth colon, colons included.
    tail: list[Piece] = []
    for i, seg in enumerate(segments[5:]):
        if i:
            tail.append((":", True))
        tail.extend(seg)
    out = [wildcard_regex(seg, star="[^:]*", one="[^:]") for seg in head]
    out.append(wildcard_regex(tail, star="[^:]*", one="[^:]"))
    return ":".join(out)


def split_resource(pattern: str) -> tuple[tuple[str, ...], str] | None:
    """Split a ``Resource`` ARN pattern into its first five segments and its resource part.

    A pattern with fewer than six parts whose last part ends in ``*`` is padded with ``*``
    segments (``arn:aws:s3:*`` covers every S3 ARN); any other short pattern is not an ARN
    and gives ``None``.
    """
    parts = pattern.split(":", 5)
    if len(parts) < 6:
        if not pattern.endswith("*"):
            return None
        parts += ["*"] * (6 - len(parts))
    if parts[0].lower() != "arn":
        return None
    return tuple(parts[:5]), parts[5]


def resource_regex(head: Sequence[str], tail: Sequence[Piece]) -> str:
    """Regex source for a ``Resource`` ARN pattern split by :func:`split_resource`.

    Partition, service, region and account compare without case (``?``/``*`` stay inside
    their segment); the resource part is case-sensitive and there ``*`` spans ``/``.
    """
    prefix = ":".join(wildcard_regex(seg, star="[^:]*", one="[^:]") for seg in head)
    return f"(?i:{prefix}):{wildcard_regex(tail)}"


def is_short_form(resource: str) -> bool:
    """Whether a ``Resource`` entry is API Gateway's ``execute-api:/...`` short form."""
    return resource.startswith("execute-api:/")


def expand_short_form(resource: str, api: ApiContext) -> str:
    """``execute-api:/prod/GET/pets`` → the full ARN in ``api`` (what AWS does on save)."""
    return api.arn(resource[len("execute-api:/") :])


@dataclass(frozen=True)
class CompiledPrincipal:
    """A ``Principal`` element, indexed for matching a caller quickly."""

    wildcard: bool
    accounts: frozenset[str]
    root_arns: frozenset[str]
    arns: frozenset[str]
    # (partition, account, role name): a role ARN also covers the role's sessions.
    roles: frozenset[tuple[str, str, str]]
    unique_ids: frozenset[str]
    services: frozenset[str]
    others: frozenset[str]

    @classmethod
    def build(cls, spec: Principal) -> CompiledPrincipal:
        """Index a parsed ``Principal`` element."""
        accounts: set[str] = set()
        root_arns: set[str] = set()
        arns: set[str] = set()
        roles: set[tuple[str, str, str]] = set()
        unique_ids: set[str] = set()
        for entry in spec.aws:
            if _ACCOUNT_ID.match(entry):
                accounts.add(entry)
                continue
            parts = entry.split(":", 5)
            if len(parts) == 6 and parts[2] == "iam" and parts[5] == "root":
                root_arns.add(f"{parts[1]}:{parts[4]}")
            elif len(parts) == 6:
                arns.add(entry)
                if parts[2] == "iam" and parts[5].startswith("role/"):
                    roles.add((parts[1], parts[4], parts[5].rsplit("/", 1)[-1]))
            elif _UNIQUE_ID.match(entry):
                unique_ids.add(entry)
        return cls(
            wildcard=spec.wildcard,
            accounts=frozenset(accounts),
            root_arns=frozenset(root_arns),
            arns=frozenset(arns),
            roles=frozenset(roles),
            unique_ids=frozenset(unique_ids),
            services=frozenset(s.lower() for s in spec.service),
            others=frozenset(spec.federated) | frozenset(spec.canonical_user),
        )

    @classmethod
    def build_wildcard(cls) -> CompiledPrincipal:
        """A principal that matches every caller (an identity policy's implicit principal)."""
        return cls.build(Principal(wildcard=True))

    def match(self, caller: _Caller, userid: tuple[str, ...] | None) -> int:
        """``MATCH_DIRECT``, ``MATCH_ACCOUNT`` or ``MATCH_NONE`` for this caller."""
        if self.wildcard:
            return MATCH_DIRECT
        if caller.kind == "anonymous":
            # Only "*" names anonymous callers; {"AWS": ...} entries never do.
            return MATCH_NONE
        if caller.arn in self.arns:
            return MATCH_DIRECT
        if caller.kind == "session":
            if caller.role_arn is not None:
                if caller.role_arn in self.arns:
                    return MATCH_DIRECT
            # A session ARN carries no role path, so without aws:PrincipalArn a (pathed)
            # role ARN is matched on partition, account and role name.
            elif (caller.partition, caller.account, caller.name) in self.roles:
                return MATCH_DIRECT
        if caller.kind == "service" and caller.arn.lower() in self.services:
            return MATCH_DIRECT
        if caller.arn in self.others:
            return MATCH_DIRECT
        if self.unique_ids and userid and len(userid) == 1:
            uid = userid[0].split(":", 1)[0]
            if uid in self.unique_ids:
                return MATCH_DIRECT
        if caller.account is not None and (
            caller.account in self.accounts
            or f"{caller.partition}:{caller.account}" in self.root_arns
        ):
            return MATCH_DIRECT if caller.kind == "root" else MATCH_ACCOUNT
        return MATCH_NONE
