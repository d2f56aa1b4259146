"""The library's causes mapped onto this command line's flags and commands.

The library's hints speak in library terms (a CA bundle, the connect address, the VPC
resolver); the command line adds the flag or the command that does it. One table, here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

#: cause code -> the flag to suggest (shown as ``(privateapi: --flag)`` after the hint).
CAUSE_FLAGS: Mapping[str, str] = {
    "env.no-region": "--region",
    "creds.missing": "--no-sign",
    "dns.resolver-unreachable": "--resolver",
    "dns.public-address": "--style",
    "dns.nxdomain": "--style",
    "tls.name-mismatch": "--connect-to",
    "tls.untrusted": "--ca-bundle",
    "aws.access-denied": "--no-aws",
    "aws.unreachable": "--no-aws",
}

#: cause code -> the command that fixes it.
CAUSE_COMMANDS: Mapping[str, str] = {
    "aws.vpce-not-associated": (
        "privateapi vpce associate --api-id API --vpce-id VPCE --redeploy STAGE --wait"
    ),
    "aws.stage-missing": "privateapi deploy --api-id API --stage STAGE",
    "policy.not-deployed": "privateapi deploy --api-id API --stage STAGE",
    "policy.missing": "privateapi policy apply --api-id API --generate --vpce VPCE --stage STAGE",
    "http.explicit-deny": "privateapi policy explain",
    "http.implicit-deny": "privateapi policy generate",
    "http.signature-mismatch": "privateapi invoke -v",
    "http.connection-failed": "privateapi doctor URL",
}


def cli_hint(cause: str | None, hint: str | None) -> str | None:
    """A library hint with the flag or command that acts on it, for this command line."""
    if cause is None:
        return hint
    extra = []
    if cause in CAUSE_FLAGS:
        extra.append(CAUSE_FLAGS[cause])
    if cause in CAUSE_COMMANDS:
        extra.append(CAUSE_COMMANDS[cause])
    if not extra:
        return hint
    tail = f"(privateapi: {'; '.join(extra)})"
    return f"{hint} {tail}" if hint else tail


#: The library names options in words (it never names CLI flags); this is the one place
#: that says which flag each of those words is, for the doctor's human view
#: (the doctor's own flags: other commands do not have them all).
FLAG_WORDS: tuple[tuple[str, str], ...] = (
    ("the CA bundle option", "--ca-bundle"),
    ("the connect-to option", "--connect-to"),
    ("the resolver option", "--resolver"),
    ("the region option", "--region"),
    ("signing off", "--no-sign"),
    ("turn the AWS checks off", "--no-aws"),
    ("AWS checks are off", "--no-aws"),
    ("give a saved policy", "--policy FILE"),
    ("give the endpoint id", "--vpce-id"),
)


def with_flags(text: str) -> str:
    """Library words for an option followed by the doctor's flag for it."""
    for words, cli_flag in FLAG_WORDS:
        # The library may already name the option's field after its words ("(no_aws)"):
        # the flag takes that place rather than standing beside it.
        text = re.sub(re.escape(words) + r"(?: \([a-z_]+\))?", f"{words} ({cli_flag})", text)
    return text
