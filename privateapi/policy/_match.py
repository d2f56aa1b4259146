"""Wildcard, action, resource (ARN) and principal matching.

IAM patterns have two wildcards: ``*`` (any run of characters, empty included) and ``?``
(exactly one character); everything else is literal, so ``.``, ``+``, ``$`` or ``(`` in
an ARN stay literal (a bug PMapper, moto and SAM CLI share).

Patterns are not turned into regular expressions: a regex such as ``.*a.*a.*a...b``
backtracks exponentially (``"*a" * 8 + "*b"`` against 64 ``a`` took 80 s, and froze the
local gateway's event loop on one short GET). :class:`Wildcard` splits a pattern at its
``*`` into fixed-width segments (literal text and ``?``) and places them left to right:
the first segment at the start, the last at the end, each one between at its leftmost
occurrence after the previous one. Leftmost placement is always right for ``*``
patterns (a later occurrence only leaves less text for the rest), so nothing is ever
retried. The cost is at most O(len(text) × len(pattern)) character comparisons (each
segment search scans the text once, comparing at most the segment's width at each
position) and O(len(text) + len(pattern)) in the common case, where ``str.find`` does
the scanning; memory is O(len(pattern)).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from privateapi.policy._model import ApiContext, Principal, _Caller

__all__ = [
    "ActionPattern",
    "ArnPattern",
    "CompiledPrincipal",
    "Piece",
    "PrincipalMatch",
    "ResourcePattern",
    "ResourceSet",
    "SplitArn",
    "Wildcard",
    "action_pattern",
    "expand_short_form",
    "fold_case",
    "is_short_form",
    "split_arn",
    "split_resource",
]

#: How a ``Principal`` element names the caller: ``"direct"`` (``"*"``, its own ARN, its
#: role for a session), ``"account"`` (only through an account principal,
#: ``"123456789012"`` or ``...:root``, which delegates to the account's identity policies)
#: or ``"none"``.
PrincipalMatch = Literal["direct", "account", "none"]

_ACCOUNT_ID = re.compile(r"^\d{12}$")
_UNIQUE_ID = re.compile(r"^A[A-Z0-9]{3}[A-Z0-9]{12,}$")

#: A piece of a pattern: its text, and whether that text is literal (from a policy
#: variable such as ``${aws:username}`` or ``${*}``) rather than a wildcard pattern.
Piece = tuple[str, bool]
#: An ARN split for resource matching: its first five parts case-folded, and the rest.
SplitArn = tuple[tuple[str, ...], str]


def fold_case(text: str) -> str:
    """``text`` lower-cased one character at a time, so its length never changes.

    Case-insensitive matching folds both sides with this; keeping the length keeps ``?``
    meaning one character (``"İ".lower()`` is two characters, so such a character is
    left as it is).
    """
    if text.isascii():
        return text.lower()
    return "".join(low if len(low := ch.lower()) == 1 else ch for ch in text)


class _Segment:
    """A run of a pattern between two ``*`` that holds ``?``: literal runs and gaps.

    (A run without ``?`` is kept as a plain ``str``: ``str`` methods do all the work.)
    """

    __slots__ = ("chunks", "size")

    def __init__(self, chars: Sequence[str | None]) -> None:
        # ``None`` stands for ``?``.
        self.size = len(chars)
        chunks: list[tuple[int, str]] = []
        run: list[str] = []
        for i, ch in enumerate(chars):
            if ch is None:
                if run:
                    chunks.append((i - len(run), "".join(run)))
                    run = []
            else:
                run.append(ch)
        if run:
            chunks.append((self.size - len(run), "".join(run)))
        #: the runs of literal text, with their offsets in the segment
        self.chunks = tuple(chunks)

    def at(self, text: str, i: int) -> bool:
        """Whether the segment matches ``text`` at ``i`` (the caller checked the length)."""
        return all(text.startswith(chunk, i + offset) for offset, chunk in self.chunks)

    def find(self, text: str, start: int, end: int) -> int:
        """The leftmost ``i >= start`` where the segment matches inside ``text[:end]``, or -1."""
        last = end - self.size
        if not self.chunks:
            return start if start <= last else -1
        offset0, chunk0 = self.chunks[0]
        rest = self.chunks[1:]
        i = start
        while i <= last:
            # Anchor on the first literal run, then check the others at their offsets.
            j = text.find(chunk0, i + offset0, last + offset0 + len(chunk0))
            if j < 0:
                return -1
            i = j - offset0
            if all(text.startswith(chunk, i + offset) for offset, chunk in rest):
                return i
            i += 1
        return -1


_Run = str | _Segment


def _run(chars: list[str | None]) -> _Run:
    return _Segment(chars) if None in chars else "".join(c for c in chars if c is not None)


def _size(run: _Run) -> int:
    return len(run) if isinstance(run, str) else run.size


def _at(run: _Run, text: str, i: int) -> bool:
    return text.startswith(run, i) if isinstance(run, str) else run.at(text, i)


def _find(run: _Run, text: str, start: int, end: int) -> int:
    return text.find(run, start, end) if isinstance(run, str) else run.find(text, start, end)


# The shapes of a pattern, from the cheapest test to the general placement.
_EXACT, _PREFIX, _SUFFIX, _ANYTHING, _FIXED, _GENERAL = range(6)


class Wildcard:
    """A compiled ``*``/``?`` pattern; :meth:`matches` tests a whole string against it.

    Args:
        pieces: the pattern as a string, or as pieces (``(text, literal)``); a literal
            piece (a substituted policy variable) has no wildcards, so ``Bob*`` stays text.
        fold: compare without case (both sides folded with :func:`fold_case`).

    Example:
        >>> Wildcard("prod/GET/pets/*").matches("prod/GET/pets/a/b")
        True
        >>> Wildcard("*a" * 8 + "*b").matches("a" * 64)  # instantly, no backtracking
        False
    """

    # Plain attributes and a shape code rather than closures: a large policy holds many
    # patterns, and each closure would add a function and its cells for the collector.
    __slots__ = ("_first", "_fold", "_kind", "_last", "_literal", "_middle", "_minimum", "pattern")

    def __init__(self, pieces: Iterable[Piece] | str, *, fold: bool = False) -> None:
        if isinstance(pieces, str):
            pieces = ((pieces, False),)
        chars: list[list[str | None]] = [[]]
        source: list[str] = []
        for given, literal in pieces:
            source.append(given)
            text = fold_case(given) if fold else given
            if literal:
                chars[-1].extend(text)
                continue
            for ch in text:
                if ch == "*":
                    # "**" is one "*"
                    if len(chars) == 1 or chars[-1]:
                        chars.append([])
                else:
                    chars[-1].append(None if ch == "?" else ch)
        #: the pattern as written
        self.pattern = "".join(source)
        self._fold = fold
        runs = [_run(c) for c in chars]
        self._first: _Run = runs[0]
        self._last: _Run = runs[-1]
        self._middle: tuple[_Run, ...] = tuple(runs[1:-1])
        self._minimum = sum(_size(r) for r in runs)
        first, last = self._first, self._last
        # the literal text the cheap shapes compare with
        self._literal = ""
        self._kind = _GENERAL
        if len(runs) == 1:
            self._kind = _FIXED
            if isinstance(first, str):
                self._kind, self._literal = _EXACT, first
        elif len(runs) == 2 and isinstance(first, str) and isinstance(last, str):
            if not last:
                self._kind, self._literal = (_PREFIX, first) if first else (_ANYTHING, "")
            elif not first:
                self._kind, self._literal = _SUFFIX, last

    def __repr__(self) -> str:
        return f"Wildcard({self.pattern!r})"

    def matches(self, text: str) -> bool:
        """Whether the whole of ``text`` matches the pattern."""
        if self._fold:
            text = fold_case(text)
        kind = self._kind
        if kind == _EXACT:
            return text == self._literal
        if kind == _PREFIX:
            return text.startswith(self._literal)
        if kind == _SUFFIX:
            return text.endswith(self._literal)
        if kind == _ANYTHING:
            return True
        if kind == _FIXED:
            return len(text) == self._minimum and _at(self._first, text, 0)
        return self._place(text)

    def _place(self, text: str) -> bool:
        # First run at the start, last run at the end, each middle run at its leftmost
        # occurrence after the previous one: never retried, so never backtracking.
        first, last = self._first, self._last
        if len(text) < self._minimum or not _at(first, text, 0):
            return False
        end = len(text) - _size(last)
        if not _at(last, text, end):
            return False
        pos = _size(first)
        for run in self._middle:
            found = _find(run, text, pos, end)
            if found < 0:
                return False
            pos = found + _size(run)
        return True


def _has_wildcards(text: str) -> bool:
    return "*" in text or "?" in text


class ActionPattern:
    """An ``Action``/``NotAction`` list: case-insensitive, ``*`` and ``?`` anywhere.

    Commas and surrounding spaces are kept as written, so ``"s3:Get,Put"`` or
    ``"s3:GetObject "`` match nothing (as in AWS and iam-simulate).
    """

    __slots__ = ("_exact", "_patterns", "everything")

    def __init__(self, actions: Sequence[str]) -> None:
        #: whether the list holds ``*`` (every action)
        self.everything = "*" in actions
        self._exact = frozenset(fold_case(a) for a in actions if not _has_wildcards(a))
        self._patterns = tuple(Wildcard(fold_case(a)) for a in actions if _has_wildcards(a))

    def matches(self, action: str) -> bool:
        """Whether the list covers ``action``."""
        if self.everything:
            return True
        folded = fold_case(action)
        return folded in self._exact or any(p.matches(folded) for p in self._patterns)


@functools.lru_cache(maxsize=256)
def action_pattern(actions: tuple[str, ...]) -> ActionPattern:
    """The :class:`ActionPattern` of an action list, shared by statements listing the same."""
    return ActionPattern(actions)


def split_arn(resource: str) -> SplitArn | None:
    """A request's resource ARN split for :class:`ResourcePattern`, or ``None`` if not an ARN.

    Split once per request, then tested against every statement's patterns.
    """
    parts = resource.split(":", 5)
    if len(parts) < 6:
        return None
    return tuple(fold_case(p) for p in parts[:5]), parts[5]


class ResourcePattern:
    """A ``Resource`` ARN pattern split by :func:`split_resource`.

    Partition, service, region and account compare without case (``?``/``*`` stay inside
    their segment); the resource part is case-sensitive and there ``*`` spans ``/`` and
    ``:``.
    """

    __slots__ = ("_head", "_head_exact", "_tail")

    def __init__(self, head: Sequence[str], tail: Sequence[Piece]) -> None:
        folded = _fold_head(tuple(head))
        self._head_exact = None if any(_has_wildcards(h) for h in folded) else folded
        self._head = tuple(Wildcard(h) for h in folded)
        self._tail = Wildcard(tail)

    def matches(self, target: SplitArn | None) -> bool:
        """Whether a split request ARN (:func:`split_arn`) matches."""
        if target is None:
            return False
        head, tail = target
        if self._head_exact is not None:
            if head != self._head_exact:
                return False
        elif not all(m.matches(part) for m, part in zip(self._head, head, strict=True)):
            return False
        return self._tail.matches(tail)


class ResourceSet:
    """The ``Resource`` patterns of one statement, grouped for one quick test per request.

    Most patterns share one exact head (``arn:aws:execute-api:REGION:ACCOUNT``, short forms
    expanded) and have a literal resource part or a literal prefix before one ``*``; those
    are looked up by head and tested with one ``str.startswith`` over all the prefixes.
    """

    __slots__ = ("_groups", "_others", "everything")

    def __init__(
        self, patterns: Iterable[tuple[Sequence[str], str]], *, everything: bool = False
    ) -> None:
        #: whether the statement lists ``*`` (every resource, ARN or not)
        self.everything = everything
        groups: dict[tuple[str, ...], tuple[list[str], set[str], list[Wildcard]]] = {}
        others: list[ResourcePattern] = []
        for head, tail in patterns:
            folded = _fold_head(tuple(head))
            if any(_has_wildcards(h) for h in folded):
                others.append(ResourcePattern(head, [(tail, False)]))
                continue
            prefixes, exact, rest = groups.setdefault(folded, ([], set(), []))
            if not _has_wildcards(tail):
                exact.add(tail)
            elif tail.find("*") == len(tail) - 1 and "?" not in tail:
                prefixes.append(tail[:-1])
            else:
                rest.append(Wildcard(tail))
        # Tuples, not a dict: a statement nearly always has one head, and a policy may have
        # many statements (memory per statement matters).
        self._groups = tuple(
            (head, tuple(prefixes), frozenset(exact) if exact else _NOTHING, tuple(rest))
            for head, (prefixes, exact, rest) in groups.items()
        )
        self._others = tuple(others)

    def matches(self, target: SplitArn | None) -> bool:
        """Whether any pattern matches a split request ARN (:func:`split_arn`)."""
        if self.everything:
            return True
        if target is None:
            return False
        head, tail = target
        for group_head, prefixes, exact, rest in self._groups:
            if group_head != head:
                continue
            if (prefixes and tail.startswith(prefixes)) or tail in exact:
                return True
            if any(w.matches(tail) for w in rest):
                return True
        return any(p.matches(target) for p in self._others)


_NOTHING: frozenset[str] = frozenset()


@functools.lru_cache(maxsize=256)
def _fold_head(head: tuple[str, ...]) -> tuple[str, ...]:
    # The statements of a policy share a handful of heads (one API): fold each once, and
    # share the folded tuple between them.
    return tuple(fold_case(h) for h in head)


class ArnPattern:
    """An ``ArnLike``/``ArnEquals`` value: case-sensitive, ``*``/``?`` never cross a colon.

    Because no wildcard matches ``:``, every colon of a matching value lines up with a
    colon of the pattern: the value matches when it has as many colon-separated parts as
    the pattern and each part matches its pattern part.
    """

    __slots__ = ("_parts",)

    def __init__(self, parts: Sequence[Sequence[Piece]]) -> None:
        self._parts = tuple(Wildcard(p) for p in parts)

    @classmethod
    def build(cls, pieces: Sequence[Piece]) -> ArnPattern | None:
        """The pattern, or ``None`` when it lacks the six colon-separated parts of an ARN.

        Colons inside a substituted variable do not count as separators for that check.
        """
        if sum(text.count(":") for text, literal in pieces if not literal) < 5:
            return None
        parts: list[list[Piece]] = [[]]
        for text, literal in pieces:
            first, *others = text.split(":")
            parts[-1].append((first, literal))
            parts.extend([(other, literal)] for other in others)
        return cls(parts)

    def matches(self, value: str) -> bool:
        """Whether ``value`` matches."""
        parts = value.split(":")
        if len(parts) != len(self._parts):
            return False
        return all(m.matches(p) for m, p in zip(self._parts, parts, strict=True))


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
        if spec == _EVERYONE:
            return _COMPILED_EVERYONE
        return cls(
            wildcard=spec.wildcard,
            accounts=_frozen(accounts),
            root_arns=_frozen(root_arns),
            arns=_frozen(arns),
            roles=frozenset(roles) if roles else _NO_ROLES,
            unique_ids=_frozen(unique_ids),
            services=_frozen(s.lower() for s in spec.service),
            others=_frozen((*spec.federated, *spec.canonical_user)),
        )

    @classmethod
    def build_wildcard(cls) -> CompiledPrincipal:
        """A principal that matches every caller (an identity policy's implicit principal)."""
        return _COMPILED_EVERYONE

    def match(self, caller: _Caller, userid: tuple[str, ...] | None) -> PrincipalMatch:
        """How this element names the caller."""
        if self.wildcard:
            return "direct"
        if caller.kind == "anonymous":
            # Only "*" names anonymous callers; {"AWS": ...} entries never do.
            return "none"
        if self._names(caller, userid):
            return "direct"
        if caller.account is not None and (
            caller.account in self.accounts
            or f"{caller.partition}:{caller.account}" in self.root_arns
        ):
            return "direct" if caller.kind == "root" else "account"
        return "none"

    def _names(self, caller: _Caller, userid: tuple[str, ...] | None) -> bool:
        # Whether an entry names the caller itself, not just its account.
        if caller.arn in self.arns or caller.arn in self.others:
            return True
        if caller.kind == "session" and (
            caller.role_arn in self.arns
            if caller.role_arn is not None
            # A session ARN carries no role path, so without aws:PrincipalArn a (pathed)
            # role ARN is matched on partition, account and role name.
            else (caller.partition, caller.account, caller.name) in self.roles
        ):
            return True
        if caller.kind == "service" and caller.arn.lower() in self.services:
            return True
        return bool(
            self.unique_ids
            and userid
            and len(userid) == 1
            and userid[0].split(":", 1)[0] in self.unique_ids
        )


def _frozen(items: Iterable[str]) -> frozenset[str]:
    found = frozenset(items)
    return found if found else _NOTHING


_NO_ROLES: frozenset[tuple[str, str, str]] = frozenset()
_EVERYONE = Principal(wildcard=True)
# "Principal": "*" is by far the most common element: one shared compiled form.
_COMPILED_EVERYONE = CompiledPrincipal(
    wildcard=True,
    accounts=_NOTHING,
    root_arns=_NOTHING,
    arns=_NOTHING,
    roles=_NO_ROLES,
    unique_ids=_NOTHING,
    services=_NOTHING,
    others=_NOTHING,
)
