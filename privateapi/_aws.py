"""The one AWS room: botocore sessions and clients, and AWS errors turned into causes.

:mod:`privateapi.admin`, the doctor's control-plane checks and ``privateapi.fleet`` all reach
AWS through this module; none of them makes a botocore session or client, or reads an AWS
error code, on its own. botocore is imported only inside the functions that need it.

Internal API (small on purpose)::

    aws = Aws(region=None, profile=None, credentials=None, endpoint_url=None,
              timeout=60.0, deadline=None, max_attempts=None, user_agent="privateapi")
    aws.region                                  # explicit, AWS_REGION, or botocore's config
    aws.client("ec2")                           # one botocore client per service, cached
    aws.call("apigateway", "GetRestApi", {"restApiId": "a1b2c3d4e5"})  # -> dict
    aws.paginate("apigateway", "GetDeployments", {"restApiId": ...})   # -> its pages

    AwsError            # every failed call: .service .operation .code .status .cause_code
    cause_of(code, status, message)             # the one AWS error-code -> cause table
    botocore_session(profile)                   # the one place a botocore session is made

What a call guarantees:

* **Bounded in time.** Each call, its retries included, ends within ``timeout`` seconds and
  by ``deadline`` (a :func:`time.monotonic` value) when one is given. botocore's own socket
  timeouts are per read, so a server that accepts and never answers, one that dribbles a
  byte at a time, or an endpoint name that takes a minute to resolve would each outlast
  them: the call therefore runs on a bounded pool of daemon threads and the caller stops
  waiting at the deadline (the abandoned thread ends at its next socket timeout, or when a
  dribbling server stops; it holds one of ``MAX_CONCURRENT_CALLS`` slots until then).
  Not bounded here: the size of an answer, which botocore reads whole before any hook runs.
* **Retried only where it is safe and in time.** botocore's retries are off; a throttled,
  5xx or connection-refused attempt is retried with full-jitter back-off while the budget
  lasts, at most ``max_attempts`` times (default: ``AWS_MAX_ATTEMPTS`` / the profile's
  ``max_attempts``, else 3).
* **Never fooled by a stand-in.** A 2xx answer whose body is not the protocol's format (an
  HTML login page, an empty body, ``{not json``) or a 3xx redirect is an
  :class:`AwsError` with cause ``aws.bad-answer``, never an empty success. The check runs
  on the raw answer, before botocore's parser, which turns such bodies into ``{}``.
* **No secrets out.** AWS messages are scrubbed (a ``SignatureDoesNotMatch`` message quotes
  the canonical request, session token included); no message names a CLI flag.
"""

from __future__ import annotations

import os
import random
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from privateapi._errors import REDACTED, InvalidInputError, PrivateApiError

if TYPE_CHECKING:
    from botocore.session import Session

__all__ = [
    "DEFAULT_MAX_ATTEMPTS",
    "DEFAULT_TIMEOUT",
    "Aws",
    "AwsError",
    "botocore_session",
    "cause_of",
    "method_name",
    "pages",
    "readable_message",
    "validate_endpoint_url",
    "validate_timeout",
]

T = TypeVar("T")

#: Seconds one call may take, retries included, when the caller gives no timeout.
DEFAULT_TIMEOUT = 60.0
#: Attempts per call when neither the caller nor AWS_MAX_ATTEMPTS says otherwise
#: (botocore's standard retry mode uses the same number).
DEFAULT_MAX_ATTEMPTS = 3
#: At most this many calls run at once; an abandoned (stalled) call holds its slot until
#: its socket times out, so stalls cannot pile up threads without bound.
MAX_CONCURRENT_CALLS = 16

# --- the one error-code table ------------------------------------------------------------
# AWS error codes -> cause codes, for every service we call (API Gateway's rest-json, STS's
# query and EC2's XML protocols). The codes are those AWS SDKs document and the AWS CLI
# prints; the reference (../shared/reference) is silent on control-plane errors, so this
# table is unverified against live AWS beyond the codes moto also produces.
_CODE_CAUSES: Mapping[str, str] = {
    **dict.fromkeys(
        (
            "AccessDeniedException",
            "AccessDenied",
            "UnauthorizedOperation",  # EC2
            "AuthorizationError",
        ),
        "aws.access-denied",
    ),
    **dict.fromkeys(
        (
            "UnrecognizedClientException",
            "InvalidSignatureException",
            "SignatureDoesNotMatch",
            "InvalidClientTokenId",  # STS, EC2
            "ExpiredTokenException",
            "ExpiredToken",  # STS
            "RequestExpired",  # EC2: a request signed too long ago (clock skew)
            "AuthFailure",  # EC2
            # API Gateway documents UnauthorizedException (401) as "insufficient
            # permissions", but answers it for unusable credentials (unverified).
            "UnauthorizedException",
        ),
        "aws.credentials-rejected",
    ),
    **dict.fromkeys(
        (
            "TooManyRequestsException",
            "ThrottlingException",
            "Throttling",
            "ThrottledException",
            "RequestLimitExceeded",  # EC2
        ),
        "aws.throttled",
    ),
    **dict.fromkeys(("NotFoundException", "ResourceNotFoundException"), "aws.not-found"),
}
#: Error codes worth another attempt besides throttling (AWS's transient server errors).
_TRANSIENT_CODES = frozenset(
    {
        "InternalFailure",
        "InternalError",
        "InternalServerError",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "RequestTimeout",
        "RequestTimeoutException",
        "PriorRequestNotComplete",
    }
)
# AWS sometimes answers bad credentials with a generic code; its text is stable.
_CREDENTIAL_TEXT = re.compile(
    r"security token included in the request is (invalid|expired)"
    r"|request signature we calculated does not match",
    re.IGNORECASE,
)


def cause_of(code: str | None, status: int | None, message: str = "") -> str:  # noqa: PLR0911  ordered rules, first match wins
    """The cause code of an AWS error answer: the one table for admin, doctor and fleet.

    ``code`` is AWS's error code (``AccessDeniedException``), ``status`` the HTTP status.
    EC2's ``<Thing>.NotFound`` family maps to ``aws.not-found``. Without a code (an answer
    that is not AWS's error format), a 403 counts as denied and a 404 as not found;
    anything else is ``aws.call-failed``.
    """
    if code and code in _CODE_CAUSES:
        found = _CODE_CAUSES[code]
        if found == "aws.access-denied" and _CREDENTIAL_TEXT.search(message):
            return "aws.credentials-rejected"
        return found
    if code and code.endswith("NotFound"):  # EC2's InvalidVpcEndpointId.NotFound and kin
        return "aws.not-found"
    if _CREDENTIAL_TEXT.search(message):
        return "aws.credentials-rejected"
    if not code or code.isdigit():
        if status == 403:
            return "aws.access-denied"
        if status == 404:
            return "aws.not-found"
    return "aws.call-failed"


def readable_message(message: str) -> str:
    """An AWS error message fit for one line, with secrets scrubbed.

    An HTML page (a proxy, or a stand-in that does not implement the operation) becomes a
    short mention instead of the page.
    """
    from privateapi._credentials import redact

    text = message.strip()
    if text.startswith("<") and "<html" in text[:200].lower():
        return "an HTML page instead of an AWS error (a proxy, or an unimplemented operation)"
    first = text.splitlines()[0] if text else ""
    first = redact(first)
    return first if len(first) <= 300 else first[:297] + "..."


def method_name(operation: str) -> str:
    """``UpdateRestApi`` -> ``update_rest_api`` (botocore's client method names)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", operation).lower()


class AwsError(PrivateApiError):
    """A control-plane call failed; ``cause_code`` says why in the project's vocabulary.

    Attributes:
        service: the botocore service name (``apigateway``).
        operation: the AWS operation (``GetRestApi``).
        code: AWS's error code (``NotFoundException``), when AWS answered with one.
        status: the HTTP status of the answer, when there was one.
        aws_message: AWS's message on one line, scrubbed ("" when there was none).
        detail: for an answer that is not AWS's, what came instead ("an empty body").
        transient: whether another attempt could succeed (throttling, 5xx, a refused connection).
    """

    def __init__(
        self,
        message: str,
        *,
        service: str,
        operation: str,
        cause_code: str,
        code: str | None = None,
        status: int | None = None,
        aws_message: str = "",
        detail: str = "",
        transient: bool = False,
    ) -> None:
        super().__init__(message)
        self.detail = detail
        self.service = service
        self.operation = operation
        self.cause_code = cause_code  # type: ignore[misc]  # per-instance on purpose
        self.code = code
        self.status = status
        self.aws_message = aws_message
        self.transient = transient


class _BadAnswerError(Exception):
    """Raised from botocore's before-parse event: the raw answer is not AWS's format.

    Its text says what came instead ("an empty body"), never the body itself.
    """


class _StalledError(Exception):
    """The call did not finish within its budget."""


# --- validation (shared by every caller) ---------------------------------------------------


def validate_endpoint_url(value: object) -> str:
    """Return ``value`` if it is an http(s) URL with a host, else raise InvalidInputError.

    Checked before any call (and in dry runs): botocore would only fail at the first
    request, some forms (a port out of range) with a bare ValueError.
    """
    from urllib.parse import urlsplit

    ok = isinstance(value, str)
    try:
        if isinstance(value, str):
            parts = urlsplit(value)
            ok = parts.scheme in ("http", "https") and bool(parts.hostname)
            ok = ok and (parts.port is None or parts.port > 0)
    except ValueError:  # a port that is not a number or over 65535, a bad [IPv6]
        ok = False
    if not ok:
        raise InvalidInputError("endpoint_url", value, "an http(s) URL, e.g. http://127.0.0.1:5000")
    assert isinstance(value, str)
    return value


def validate_timeout(value: object, field: str = "timeout") -> float:
    """Return ``value`` as a float if it is a positive, finite number of seconds."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1e9:
        # 1e9 s is 31 years: beyond it a deadline means "never", which is not bounded.
        raise InvalidInputError(field, value, "a positive number of seconds (under 1e9)")
    return float(value)


# --- sessions and clients -------------------------------------------------------------------


def botocore_session(profile: str | None = None, *, check_profile: bool = False) -> Session:
    """A new botocore session for ``profile``: the only place one is made.

    With ``check_profile`` an unknown profile is an :class:`InvalidInputError` now, rather
    than botocore's error at the first lookup (which an environment variable such as
    ``AWS_ACCESS_KEY_ID`` can short-circuit, so a typo would go unnoticed).
    """
    import botocore.session

    session = botocore.session.Session()
    if profile is not None:
        if check_profile and profile not in session.available_profiles:
            raise InvalidInputError(
                "profile", profile, "a profile named in the AWS config or credentials file"
            )
        session.set_config_variable("profile", profile)
    return session


def _static_credentials(credentials: Any) -> dict[str, str]:
    """botocore's create_client keywords for explicit credentials (anything
    :func:`privateapi._credentials.resolve_credentials` accepts)."""
    from privateapi._credentials import resolve_credentials

    snap = resolve_credentials(credentials).snapshot()
    kwargs = {"aws_access_key_id": snap.access_key, "aws_secret_access_key": snap.secret_key}
    if snap.token:
        kwargs["aws_session_token"] = snap.token
    return kwargs


class Aws:
    """Clients for every AWS service a flow calls, sharing one session and one budget.

    Args:
        region: the region (validated); default ``AWS_REGION``, then botocore's
            configuration (``AWS_DEFAULT_REGION``, the profile's ``region``).
        profile: a named profile (an unknown one is refused when first needed).
        credentials: explicit credentials (a ``(key, secret[, token])`` tuple, a
            :class:`~privateapi.Credentials`, a botocore credentials object); default the
            session's chain.
        endpoint_url: one URL for every service, or a mapping ``service -> URL`` (others
            keep botocore's, which honours ``AWS_ENDPOINT_URL`` and
            ``AWS_ENDPOINT_URL_<SERVICE>``).
        timeout: seconds each call may take, retries included.
        deadline: a :func:`time.monotonic` time no call may outlast (a whole operation's
            or doctor run's budget), on top of ``timeout``.
        max_attempts: attempts per call (1 = no retry).
        user_agent: appended to botocore's User-Agent.
        session: a ready botocore session (tests); ``profile`` is then not applied.
        clients: ready clients by service name (tests).
    """

    def __init__(
        self,
        *,
        region: str | None = None,
        profile: str | None = None,
        credentials: Any = None,
        endpoint_url: str | Mapping[str, str] | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        deadline: float | None = None,
        max_attempts: int | None = None,
        user_agent: str = "privateapi",
        session: Session | None = None,
        clients: Mapping[str, Any] | None = None,
    ) -> None:
        if region is not None:
            from privateapi._targets import validate_region

            region = validate_region(region)
        if isinstance(endpoint_url, Mapping):
            self._endpoints = {s: validate_endpoint_url(u) for s, u in endpoint_url.items()}
            self._endpoint_all: str | None = None
        else:
            self._endpoints = {}
            self._endpoint_all = (
                None if endpoint_url is None else validate_endpoint_url(endpoint_url)
            )
        if max_attempts is not None and (
            isinstance(max_attempts, bool) or not isinstance(max_attempts, int) or max_attempts < 1
        ):
            raise InvalidInputError("max_attempts", max_attempts, "a whole number, 1 or more")
        self._region = region
        self.profile = profile
        self.credentials = credentials
        self.timeout = validate_timeout(timeout)
        self.deadline = deadline
        self._max_attempts = max_attempts
        self.user_agent = user_agent
        self._session = session
        self._clients: dict[str, Any] = dict(clients or {})
        self._clients_injected = bool(clients)
        self._lock = threading.Lock()

    # --- configuration ----------------------------------------------------------------
    def endpoint_for(self, service: str) -> str | None:
        """The endpoint URL given for ``service`` (None: botocore's own choice)."""
        return self._endpoints.get(service, self._endpoint_all)

    @property
    def session(self) -> Session:
        """The botocore session (made once; an unknown profile is refused here)."""
        with self._lock:
            if self._session is None:
                self._session = botocore_session(self.profile, check_profile=True)
            return self._session

    @property
    def region(self) -> str:
        """The region: explicit, a ready client's, ``AWS_REGION``, or botocore's config."""
        if self._region:
            return self._region
        ready = next(iter(self._clients.values()), None)
        if ready is not None:
            self._region = str(ready.meta.region_name)
            return self._region
        # AWS_REGION first, as the AWS CLI and the other SDKs do: botocore itself only
        # reads AWS_DEFAULT_REGION and the profile. The session comes first so that an
        # unknown profile is refused even when the region is set.
        session = self.session
        configured = os.environ.get("AWS_REGION") or session.get_config_variable("region")
        if not configured:
            raise InvalidInputError(
                "region", None, "an AWS region, e.g. us-east-1 (or set AWS_REGION)"
            )
        from privateapi._targets import validate_region

        self._region = validate_region(str(configured))
        return self._region

    @property
    def max_attempts(self) -> int:
        """Attempts per call: explicit, else AWS_MAX_ATTEMPTS / the profile's, else 3."""
        if self._max_attempts is None:
            try:
                configured = self.session.get_config_variable("max_attempts")
            except ValueError:  # AWS_MAX_ATTEMPTS=abc: botocore's int() fails
                configured = None
            if isinstance(configured, int) and configured >= 1:
                self._max_attempts = configured
            else:
                self._max_attempts = DEFAULT_MAX_ATTEMPTS
        return self._max_attempts

    def client(self, service: str) -> Any:
        """The botocore client for ``service`` (made once, checked answers, no retries)."""
        with self._lock:
            if service in self._clients:
                return self._clients[service]
        from botocore.config import Config

        region = self.region
        session = self.session
        kwargs: dict[str, Any] = {}
        if self.credentials is not None:
            kwargs.update(_static_credentials(self.credentials))
        config = Config(
            # The per-read socket timeouts; the call's own deadline bounds the whole.
            connect_timeout=self.timeout,
            read_timeout=self.timeout,
            # Retries are ours: within the deadline, and only where they are safe.
            retries={"mode": "standard", "total_max_attempts": 1},
            user_agent_extra=self.user_agent,
        )
        try:
            made = session.create_client(
                service,
                region_name=region,
                # None lets botocore apply AWS_ENDPOINT_URL(_SERVICE) and config files.
                endpoint_url=self.endpoint_for(service),
                config=config,
                **kwargs,
            )
        except ValueError as exc:  # botocore's "Invalid endpoint: ..." (ours are checked)
            raise InvalidInputError(
                "endpoint_url",
                # Then it came from AWS_ENDPOINT_URL(_<SERVICE>) or the AWS config file.
                self.endpoint_for(service) or f"the configured {service} endpoint",
                "an http(s) URL, e.g. http://127.0.0.1:5000",
            ) from exc
        made.meta.events.register("before-parse", _check_raw_answer)
        with self._lock:
            return self._clients.setdefault(service, made)

    # --- calls ------------------------------------------------------------------------
    def _budget(self) -> float:
        budget = self.timeout
        if self.deadline is not None:
            budget = min(budget, self.deadline - time.monotonic())
        return budget

    def call(
        self, service: str, operation: str, params: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """Make one call (retried where safe) and return its answer without metadata.

        Raises:
            AwsError: AWS refused, could not be reached in time, or answered something
                that is not AWS's answer; ``cause_code`` says which.
            InvalidInputError: the region, profile or endpoint URL is not usable.
        """
        method = getattr(self.client(service), method_name(operation))
        started = time.monotonic()
        end = started + self._budget()
        attempt = 0
        while True:
            attempt += 1
            try:
                response = _run_bounded(lambda: method(**dict(params or {})), end)
            except Exception as exc:
                error = _as_aws_error(exc, self, service, operation, time.monotonic() - started)
                if error is None:
                    raise
                self._redact(error, signed=isinstance(exc, _client_error_type()))
            else:
                result: dict[str, Any] = dict(response)
                result.pop("ResponseMetadata", None)
                return result
            # Full jitter (AWS's recommendation), capped; never sleep past the budget.
            pause = random.uniform(0, min(5.0, 0.5 * 2 ** (attempt - 1)))
            if (
                not error.transient
                or attempt >= self.max_attempts
                or (time.monotonic() + pause >= end)
            ):
                raise error from None
            time.sleep(pause)

    def _redact(self, error: AwsError, *, signed: bool) -> None:
        """Remove the secret key and session token from an error, whatever their form.

        The scrubber knows the usual forms (``x-amz-security-token:…``, ``Signature=…``);
        an answer may echo them otherwise (JSON, URL-encoded), so the values themselves go.
        The chain's credentials are read only after a signed request: they are resolved
        (and cached by the session) by then, so this never starts a credential lookup.
        """
        secrets: list[str] = []
        try:
            if self.credentials is not None:
                frozen = _static_credentials(self.credentials)
                secrets += [frozen["aws_secret_access_key"], frozen.get("aws_session_token", "")]
            elif signed and self._session is not None and not self._clients_injected:
                chain = self._session.get_credentials()
                frozen_chain = chain.get_frozen_credentials() if chain is not None else None
                if frozen_chain is not None:
                    secrets += [frozen_chain.secret_key or "", frozen_chain.token or ""]
        except Exception:  # noqa: S110 - redaction must never hide the error it redacts
            pass
        secrets = [x for x in secrets if len(x) >= 8]
        if not secrets:
            return

        def clean(text: str) -> str:
            for secret in secrets:
                text = text.replace(secret, REDACTED)
            return text

        error.args = (clean(str(error)),)
        error.aws_message = clean(error.aws_message)
        error.detail = clean(error.detail)

    def paginate(
        self, service: str, operation: str, params: Mapping[str, Any] | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every page of an API Gateway ``items``/``position`` listing, in order."""
        return pages(lambda page_params: self.call(service, operation, page_params), params)


def pages(
    call: Callable[[dict[str, Any]], dict[str, Any]], params: Mapping[str, Any] | None = None
) -> Iterator[dict[str, Any]]:
    """The pages of an API Gateway listing, each fetched by ``call(params)``.

    API Gateway pages with ``limit``/``position`` (botocore's paginators would hide the
    calls, which ``privateapi.admin`` lists in its results).
    """
    position: str | None = None
    while True:
        page_params = dict(params or {}, limit=500)
        if position:
            page_params["position"] = position
        page = call(page_params)
        yield page
        position = page.get("position")
        if not position:
            return


# --- errors -----------------------------------------------------------------------------


def _as_aws_error(  # noqa: PLR0911  one case per botocore failure family, in order
    exc: Exception, aws: Aws, service: str, operation: str, elapsed: float
) -> AwsError | None:
    """The AwsError for what a call raised (None: not an AWS failure, a bug to surface)."""
    import botocore.exceptions as bex

    def error(message: str, cause: str, *, transient: bool = False, detail: str = "") -> AwsError:
        return AwsError(
            message,
            service=service,
            operation=operation,
            cause_code=cause,
            transient=transient,
            detail=detail,
        )

    def unreadable(detail: str) -> AwsError:
        title = aws.client(service).meta.service_model.service_id
        return error(
            f"{operation}: AWS's answer could not be read ({detail}); expected {title}'s"
            f" {operation} response",
            "aws.bad-answer",
            detail=detail,
        )

    where = aws.endpoint_for(service) or f"{service}'s endpoint"
    if isinstance(exc, bex.ClientError):
        return _client_error(exc, service, operation)
    if isinstance(exc, _StalledError):
        return error(
            f"{operation}: {where} did not answer within {elapsed:.1f} s", "aws.unreachable"
        )
    if isinstance(exc, _BadAnswerError):
        return unreadable(str(exc))
    if isinstance(exc, _credential_failures()):
        profile = f" for profile {aws.profile!r}" if aws.profile else ""
        return error(
            f"{operation}: no usable AWS credentials{profile} ({type(exc).__name__})",
            "creds.missing",
        )
    if isinstance(exc, bex.ConnectionError | bex.HTTPClientError):
        # A refused or reset connection carried no request: safe to try again. A read
        # timeout may have carried one, and its budget is spent anyway.
        refused = isinstance(exc, bex.EndpointConnectionError) and not isinstance(
            exc, bex.ConnectTimeoutError
        )
        transient = refused or isinstance(exc, bex.ConnectionClosedError)
        return error(
            f"{operation}: could not reach {where} ({type(exc).__name__})",
            "aws.unreachable",
            transient=transient,
        )
    if isinstance(exc, bex.BotoCoreError):
        return error(f"{operation} failed: {exc}", "aws.call-failed")
    from botocore.parsers import ResponseParserError

    if isinstance(exc, ResponseParserError | AttributeError | TypeError | ValueError | KeyError):
        # botocore's parser fails this way on an answer of the wrong shape (a list for an
        # object, a bad timestamp): not the AWS API, or a broken stand-in for it.
        return unreadable(f"{type(exc).__name__}: {readable_message(str(exc))}")
    return None


def _client_error_type() -> type[Exception]:
    from botocore.exceptions import ClientError

    return ClientError


def _credential_failures() -> tuple[type[Exception], ...]:
    import botocore.exceptions as bex

    return (
        bex.NoCredentialsError,
        bex.PartialCredentialsError,
        bex.CredentialRetrievalError,
        bex.TokenRetrievalError,
        bex.ProfileNotFound,
    )


def _client_error(exc: Any, service: str, operation: str) -> AwsError:
    response = exc.response
    error = response.get("Error", {})
    code = str(error.get("Code") or "") or None
    raw = str(error.get("Message") or response.get("message") or "")
    message = readable_message(raw)
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    cause = cause_of(code, status, raw)
    if (code is None or code.isdigit()) and raw.lstrip().startswith("<") and "<html" in raw.lower():
        # botocore found no AWS error in the body: a proxy's or a stand-in's HTML page.
        cause = "aws.bad-answer"
    transient = (
        cause == "aws.throttled"
        or (code in _TRANSIENT_CODES)
        or (isinstance(status, int) and status >= 500 and cause == "aws.call-failed")
    )
    return AwsError(
        f"{operation} failed: {code or status}: {message}",
        service=service,
        operation=operation,
        cause_code=cause,
        code=code,
        status=status,
        aws_message=message,
        transient=transient,
    )


# --- the raw answer check -------------------------------------------------------------------


def _describe_body(headers: Mapping[str, str], body: bytes, wanted: str) -> str:
    """What came instead of AWS's answer, without quoting it (an echo server may reflect
    the signed headers, session token included)."""
    kind = str(headers.get("content-type") or "no content type").split(";")[0].strip()
    if not body.strip():
        return "an empty body"
    if body.lstrip()[:1] == b"<" and b"<html" in body[:512].lower():
        return f"an HTML page ({kind}, {len(body)} bytes)"
    return f"{len(body)} bytes of {kind} that are not {wanted}"


def _body_expected(operation_model: Any) -> bool:
    """Whether the operation's answer carries members in its body (a 202 may be empty)."""
    output = operation_model.output_shape
    if output is None:
        return False
    return any(m.serialization.get("location") is None for m in output.members.values())


def _is_json_object(body: bytes) -> bool:
    import json

    try:
        return isinstance(json.loads(body), dict)
    except ValueError:  # UnicodeDecodeError included
        return False


def _xml_root(body: bytes) -> str | None:
    """The root element's local name (no namespace), or ``None`` when the body is no XML."""
    from xml.etree import ElementTree

    try:
        root = ElementTree.fromstring(body)  # noqa: S314 - AWS's answer; expat caps entity expansion
    except ElementTree.ParseError:
        return None
    return str(root.tag).rsplit("}", 1)[-1]


def _check_raw_answer(operation_model: Any, response_dict: Mapping[str, Any], **_: Any) -> None:
    """botocore ``before-parse`` handler: a 2xx answer must be in the protocol's format.

    botocore's JSON parser reads an empty or unparsable body as ``{}`` (or
    ``{"message": <the text>}``), so an HTML login page answered with 200 would become an
    empty success. A 3xx is not AWS either: AWS APIs do not redirect.
    """
    status = int(response_dict.get("status_code") or 0)
    body = response_dict.get("body")
    if status >= 400 or not isinstance(body, bytes) or operation_model.has_streaming_output:
        return  # error answers go through botocore's error parsing
    if 300 <= status < 400:
        raise _BadAnswerError(f"a {status} redirect, which AWS APIs never answer")
    if not _body_expected(operation_model):
        return
    protocol = operation_model.metadata.get("protocol", "")
    if protocol in ("json", "rest-json"):
        if _is_json_object(body):
            return
        wanted = "a JSON object"
    elif protocol in ("query", "ec2", "rest-xml"):
        root = _xml_root(body)
        # A well-formed HTML page parses as XML too: the query protocols name their root
        # after the operation (<DescribeVpcEndpointsResponse>), and no AWS answer is <html>.
        expected = f"{operation_model.name}Response" if protocol != "rest-xml" else None
        if root is not None and root.lower() != "html" and (expected is None or root == expected):
            return
        wanted = f"XML with a <{expected}> root" if expected else "XML"
    else:  # pragma: no cover - no service we call uses another protocol
        return
    headers = response_dict.get("headers") or {}
    raise _BadAnswerError(f"status {status} with {_describe_body(headers, body, wanted)}")


# --- bounded calls --------------------------------------------------------------------------

_SLOTS = threading.BoundedSemaphore(MAX_CONCURRENT_CALLS)


def _run_bounded(func: Callable[[], T], end: float) -> T:
    """Run ``func`` on a daemon thread; wait for it until ``end`` (a monotonic time).

    Nothing is started once ``end`` has passed: a call begun then would still reach the
    server after the caller has given up on it.
    """
    remaining = end - time.monotonic()
    if remaining <= 0 or not _SLOTS.acquire(timeout=remaining):
        raise _StalledError
    if time.monotonic() >= end:  # pragma: no cover - a slot came free just at the deadline
        _SLOTS.release()
        raise _StalledError
    box: dict[str, Any] = {}
    done = threading.Event()

    def work() -> None:
        try:
            box["value"] = func()
        except BaseException as exc:  # handed to the caller's thread, whatever it is
            box["error"] = exc
        finally:
            _SLOTS.release()
            done.set()

    threading.Thread(target=work, name="privateapi-aws-call", daemon=True).start()
    if not done.wait(max(0.0, end - time.monotonic())):
        raise _StalledError
    if "error" in box:
        raise box["error"]
    value: T = box["value"]
    return value
