"""The library's causes mapped onto this command line's flags and commands.

The library's hints speak in library terms (a CA bundle, the connect address, the VPC
resolver); the command line adds the flag or the command that does it. One table, here.
"""

from __future__ import annotations

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
