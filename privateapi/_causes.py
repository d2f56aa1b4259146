"""The cause-code vocabulary: the single home of every diagnosis privateapi can make.

A cause code names *why* a private API call did not work (``dns.nxdomain``,
``http.explicit-deny``, ...). The same codes are carried by the client's typed
errors, the doctor's check results, the local gateway's tests and the generated
documentation, so a code read in one place means the same thing everywhere.

Codes are stable: new ones may be added, existing ones are never renamed or
removed. Each code has a short title, a sentence on what it means, a concrete
hint (what to change) and an anchor in the documentation.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

__all__ = ["CAUSES", "OUTCOMES", "PERMANENT_CAUSES", "Cause", "cause", "iter_causes", "outcome_of"]

DOCS_PAGE = "reference/causes.md"


@dataclass(frozen=True, slots=True)
class Cause:
    """One diagnosis: a stable ``code`` plus the words shown to people.

    Example:
        >>> from privateapi import cause
        >>> cause("tcp.timeout").title
        'TCP connection to port 443 timed out'
    """

    code: str
    title: str
    meaning: str
    hint: str
    #: The doctor's one- or two-word policy outcome for an HTTP answer with this cause
    #: (``"explicit deny"``); ``None`` for causes that are not an HTTP answer.
    outcome: str | None = None
    #: ``True`` when no retry can fix it (a wrong name or certificate): never retried.
    permanent: bool = False

    @property
    def group(self) -> str:
        """The layer the cause belongs to (``dns``, ``tcp``, ``tls``, ``http``, ...)."""
        return self.code.split(".", 1)[0]

    @property
    def anchor(self) -> str:
        """The documentation anchor for this code (``docs/reference/causes.md#...``)."""
        return self.code.replace(".", "-")

    @property
    def doc_url(self) -> str:
        """A relative link to the code's entry in the documentation."""
        return f"{DOCS_PAGE}#{self.anchor}"


def _c(
    code: str,
    title: str,
    meaning: str,
    hint: str,
    *,
    outcome: str | None = None,
    permanent: bool = False,
) -> Cause:
    return Cause(
        code=code, title=title, meaning=meaning, hint=hint, outcome=outcome, permanent=permanent
    )


_ALL: tuple[Cause, ...] = (
    # --- environment -------------------------------------------------------------------------
    _c(
        "env.proxy",
        "An HTTPS proxy would carry the call",
        "HTTPS_PROXY/https_proxy is set and NO_PROXY does not exempt the API's host, so the"
        " request leaves through the proxy instead of reaching the VPC endpoint directly.",
        "Add the API's host (or '.execute-api.<region>.amazonaws.com' and '.vpce.amazonaws.com')"
        " to NO_PROXY, or unset HTTPS_PROXY for this process.",
    ),
    _c(
        "env.no-region",
        "No region could be determined",
        "Neither the target, the arguments, the AWS configuration nor instance metadata named"
        " a region, so names and signatures cannot be built.",
        "Give the region explicitly, or set AWS_REGION.",
    ),
    _c(
        "creds.missing",
        "No AWS credentials for a signed request",
        "botocore's credential chain (environment, shared config, SSO, container, instance"
        " metadata) found nothing, so IAM-authorised methods cannot be called.",
        "Configure credentials (AWS_PROFILE, an instance role, ...) or send the request"
        " unsigned if the method uses no authorization.",
    ),
    # --- dns -----------------------------------------------------------------------------------
    _c(
        "dns.nxdomain",
        "The name does not exist (NXDOMAIN)",
        "The resolver says the name does not exist. For the private DNS name this means the"
        " endpoint's private DNS is off, or this VPC has no execute-api endpoint; for the"
        " {api}-{vpce} alias, the endpoint is not (yet) associated with the API.",
        "Turn on private DNS for the execute-api VPC endpoint (and enableDnsSupport/"
        "enableDnsHostnames on the VPC), or use the alias or endpoint DNS name style.",
        permanent=True,
    ),
    _c(
        "dns.nodata",
        "The name exists but has no address of that type (NODATA)",
        "The resolver knows the name but returned no A/AAAA records, e.g. an IPv6-only"
        " endpoint asked for IPv4 or the reverse.",
        "Check the endpoint's IP address type (IPv4, IPv6, dualstack) against the client's.",
    ),
    _c(
        "dns.public-address",
        "The name resolves to public addresses",
        "The answer points outside the VPC's private address space, so the request would go to"
        " a public front door, which never serves a private API (403 Forbidden).",
        "Use the VPC's Amazon-provided resolver with private DNS on, or an endpoint-specific"
        " style (alias, endpoint DNS name + Host/x-apigw-api-id).",
    ),
    _c(
        "dns.resolver-unreachable",
        "The DNS resolver did not answer",
        "Queries to the resolver timed out or failed, so no name could be checked.",
        "Check that the VPC resolver (the VPC CIDR base + 2, or 169.254.169.253) is reachable,"
        " or name the VPC resolver to ask explicitly.",
    ),
    _c(
        "dns.hosts-override",
        "A hosts-file entry pins the name",
        "/etc/hosts maps the name to a fixed address, so DNS answers are ignored by the"
        " application.",
        "Remove the /etc/hosts entry unless it deliberately points at the endpoint's ENI IPs.",
    ),
    _c(
        "dns.resolver-mismatch",
        "System and VPC resolvers disagree",
        "The system resolver (what the application uses) and the VPC resolver return different"
        " addresses, e.g. a local resolver or VPN forwards the name elsewhere.",
        "Forward execute-api names to the VPC resolver (Route 53 Resolver inbound endpoint"
        " for on-premises or VPN clients).",
    ),
    # --- tcp -----------------------------------------------------------------------------------
    _c(
        "tcp.timeout",
        "TCP connection to port 443 timed out",
        "Packets to the endpoint's address got no answer: typically the endpoint's security"
        " group does not admit TCP 443 from this host, a network ACL drops it, or there is no"
        " route.",
        "Allow inbound TCP 443 from this host's address or security group on the VPC"
        " endpoint's security group, and check the subnet NACLs and routes.",
    ),
    _c(
        "tcp.refused",
        "TCP connection to port 443 was refused",
        "Something answered with a reset: nothing listens on that address and port, so the"
        " address is not a VPC endpoint (or a load balancer in front of one).",
        "Check that the name resolves to the execute-api endpoint's ENI addresses.",
    ),
    _c(
        "tcp.unreachable",
        "No route to the address",
        "The operating system has no route to the endpoint's address (network or host"
        " unreachable), so no packet left for it: a routing table, a VPN or a missing"
        " interface, not a security group.",
        "Check this host's routes to the endpoint's subnet (route tables, VPN, peering or"
        " Transit Gateway attachments) and that the address is the endpoint's ENI.",
    ),
    _c(
        "tcp.partial",
        "Some of the endpoint's addresses fail, others work",
        "The name resolves to several addresses (one per Availability Zone of the endpoint) and"
        " the call works through some of them but not all: clients that pick a failing address"
        " fail or stall, so calls fail intermittently. Typical causes: a subnet NACL or route"
        " table of one AZ, or one ENI's security group.",
        "Compare the failing address's subnet (its AZ) with a working one: NACLs, route tables"
        " and the endpoint's security group; or remove that subnet from the endpoint.",
    ),
    # --- tls -----------------------------------------------------------------------------------
    _c(
        "tls.name-mismatch",
        "The certificate does not match the name",
        "The server presented a certificate that does not cover the TLS server name. Through an"
        " NLB or IP the client must send the API's name as SNI, not the load balancer's.",
        "Send the execute-api (or custom domain) name as the TLS server name: keep it in the"
        " URL and set the connect address (connect_to) to the IP or NLB name instead.",
        permanent=True,
    ),
    _c(
        "tls.untrusted",
        "The certificate chain is not trusted",
        "The chain does not lead to a trusted root: a TLS-inspecting proxy or an unexpected"
        " server is in the path, or the CA bundle lacks the issuer.",
        "Trust the right CA bundle (the verify/CA bundle setting, AWS_CA_BUNDLE, SSL_CERT_FILE)"
        " or remove the"
        " intercepting proxy. Never switch verification off.",
        permanent=True,
    ),
    _c(
        "tls.expired",
        "The certificate has expired or is not yet valid",
        "The presented certificate is outside its validity period.",
        "Rotate the certificate (custom domains: renew the ACM certificate); check the"
        " client's clock.",
        permanent=True,
    ),
    _c(
        "tls.handshake-failed",
        "The TLS handshake failed",
        "The connection was accepted but no TLS session could be set up (protocol or cipher"
        " mismatch, reset, an unrecognised server name, or no handshake answer in time).",
        "Check for middleboxes on port 443 and that the client supports TLS 1.2.",
    ),
    # --- http ----------------------------------------------------------------------------------
    _c(
        "http.wrong-endpoint",
        "API Gateway did not know which API was meant (403 Forbidden)",
        "The request reached API Gateway without a Host or x-apigw-api-id naming a private API"
        " it serves through this endpoint, or the name belongs to a public API captured by the"
        " endpoint's private DNS.",
        "Use a style that names the API: the private DNS name, the {api}-{vpce} alias, or the"
        " endpoint DNS name with Host or x-apigw-api-id.",
        outcome="wrong endpoint",
    ),
    _c(
        "http.strict-access-mode",
        "The endpoint access mode is likely STRICT",
        "The API's own name (private DNS or the {api}-{vpce} alias) works through the endpoint,"
        " but the endpoint DNS name with Host or x-apigw-api-id is refused. With an enhanced"
        " SecurityPolicy_* security policy in STRICT endpoint access mode, the TLS server name"
        " must be the Host naming the API, so those styles are not allowed (reference"
        " aws-private-apis.md 1.3/1.4). Inferred from the pattern: AWS does not document the"
        " answer STRICT gives.",
        "Call the API by its private DNS name or the {api}-{vpce} alias (the TLS server name"
        " then names the API), or set the endpoint access mode to BASIC.",
    ),
    _c(
        "http.explicit-deny",
        "The resource policy explicitly denies the call",
        "A Deny statement in the API's resource policy (or an IAM policy) matched the request.",
        "Evaluate the API's policy for this call (privateapi.policy.evaluate) to see the"
        " deciding statement; fix the aws:SourceVpce/aws:SourceVpc condition, then redeploy"
        " the API.",
        outcome="explicit deny",
    ),
    _c(
        "http.implicit-deny",
        "Nothing allows the call (implicit deny)",
        "No statement of the resource policy allows this caller from this endpoint.",
        "Add an Allow for execute-api:Invoke from this VPC endpoint (privateapi.policy.generate"
        " writes one), then redeploy the stage: a saved policy does nothing until deployed.",
        outcome="implicit deny",
    ),
    _c(
        "http.authorizer-deny",
        "The Lambda authorizer denied the call",
        "The method's Lambda authorizer returned a policy that denies this request.",
        "Check the token you send and the authorizer's returned policy (and its cache TTL).",
        outcome="authorizer deny",
    ),
    _c(
        "http.endpoint-policy-deny",
        "The VPC endpoint policy blocks the call",
        "The execute-api VPC endpoint's own policy does not allow execute-api:Invoke on this API.",
        "Allow execute-api:Invoke on the API's ARN in the endpoint policy (on the consumer's"
        " endpoint for cross-account calls).",
        outcome="endpoint policy deny",
    ),
    _c(
        "http.missing-token",
        "Missing Authentication Token",
        "API Gateway found no matching stage, resource or method, or the method uses AWS_IAM"
        " and the request was not signed.",
        "Check the stage and path (they are case-sensitive), and sign the request when the"
        " method uses AWS_IAM.",
        outcome="missing token",
    ),
    _c(
        "http.incomplete-signature",
        "The Authorization header is not a complete SigV4 signature",
        "An Authorization header that is not SigV4 (e.g. a Bearer token) reached a route or"
        " endpoint policy that inspects it.",
        "Send application tokens in another header, or sign with SigV4.",
        outcome="signature",
    ),
    _c(
        "http.signature-mismatch",
        "The signature does not match",
        "API Gateway computed another signature: the signed Host, path, query or headers differ"
        " from what was sent, or the secret key is wrong.",
        "Sign exactly what is sent (privateapi's client does); compare the canonical request"
        " signed (record_signing=True) with the one in the error.",
        outcome="signature",
    ),
    _c(
        "http.clock-skew",
        "Signature expired: the clock is off by more than 5 minutes",
        "The request's X-Amz-Date is more than 5 minutes away from API Gateway's clock.",
        "Synchronise the client's clock (chrony/NTP, the Amazon Time Sync Service).",
        outcome="signature",
    ),
    _c(
        "http.invalid-token",
        "The security token is invalid",
        "The access key id is unknown or the session token does not belong to it.",
        "Refresh the credentials; check that key id and session token come from the same set.",
        outcome="token",
    ),
    _c(
        "http.expired-token",
        "The security token has expired",
        "Temporary credentials used for signing are past their expiry.",
        "Refresh the session (SSO login, assume-role again); privateapi's client refreshes"
        " botocore credentials before expiry.",
        outcome="token",
    ),
    _c(
        "http.unauthorized",
        "Unauthorized (401)",
        "The authorizer (Lambda or Cognito) rejected the identity source as unauthenticated.",
        "Send a valid token in the identity source header the authorizer expects.",
        outcome="unauthorized",
    ),
    _c(
        "http.throttled",
        "Throttled (429 Too Many Requests)",
        "The account, stage or method rate limit was exceeded.",
        "Back off and retry (the client does so with jitter); raise the stage or usage-plan"
        " throttle if the load is expected.",
        outcome="throttled",
    ),
    _c(
        "http.quota-exceeded",
        "Usage-plan quota exceeded (429 Limit Exceeded)",
        "The API key's usage-plan quota for the period is used up.",
        "Wait for the quota period to reset or raise the usage plan's quota.",
        outcome="throttled",
    ),
    _c(
        "http.payload-too-large",
        "Request body over 10 MB (413)",
        "API Gateway refuses request bodies larger than 10,485,760 bytes.",
        "Send large payloads through S3 (a presigned URL) instead of the API body.",
        outcome="payload too large",
    ),
    _c(
        "http.request-too-large",
        "Request refused before sending: over API Gateway's limits",
        "The body is over 10 MB, the request line and header values together are over"
        " 10,240 bytes, or the path makes a method ARN over 1,600 bytes (API Gateway answers"
        " 414); API Gateway would refuse it.",
        "Shrink the request: upload large bodies to S3 and pass a reference, and move long"
        " path parameters or headers into the body.",
    ),
    _c(
        "http.response-too-large",
        "The answer is larger than the client accepts",
        "The response body, counted after decompression, passed the client's cap (by default"
        " a little over API Gateway's 10 MB payload limit), so it was not read further: a"
        " compression bomb or something other than API Gateway answered.",
        "Raise max_response_bytes if such an answer is expected; otherwise find what sent it.",
    ),
    _c(
        "http.redirect-refused",
        "A redirect was not followed",
        "The answer redirects to another host or scheme (or too many times). A signed"
        " request carries the signature, the session token, the date and the body, so it"
        " is never sent anywhere but the API it was signed for.",
        "Fetch the Location yourself with a plain, unsigned client if you trust it.",
    ),
    _c(
        "http.timeout",
        "No answer in time",
        "The connection and the TLS session were set up and the request went out, but the"
        " answer did not arrive (completely) within the timeout: the integration is slow, or"
        " something in the path holds or trickles the answer.",
        "Check the integration's latency (API Gateway gives up at its integration timeout"
        " with 504) and raise the client's timeout if the call is expected to take longer.",
    ),
    _c(
        "http.backend-error",
        "The integration failed (5xx)",
        "API Gateway answered, but the backend integration failed or timed out (500, 502,"
        " 503, 504).",
        "Check the integration's logs; API Gateway's 29 s integration timeout gives 504.",
        outcome="backend",
    ),
    _c(
        "http.backend-rejected",
        "The integration rejected the request (4xx)",
        "API Gateway passed the request on and the backend answered with a client error.",
        "Check the request against the backend's contract (path, body, parameters).",
        outcome="backend",
    ),
    _c(
        "http.not-api-gateway",
        "The answer did not come from API Gateway",
        "The response carries none of API Gateway's headers (x-amzn-RequestId,"
        " x-amz-apigw-id, x-amzn-ErrorType): a proxy, firewall or another server answered.",
        "Find what sits between this host and the VPC endpoint (proxy, NLB target, hosts"
        " file) and make the call reach the endpoint.",
        outcome="not API Gateway",
    ),
    _c(
        "http.connection-failed",
        "The request could not be sent",
        "The connection failed before an HTTP answer arrived (DNS, TCP or TLS error, or a reset).",
        "Run the doctor (privateapi.doctor) on the same target to find the failing layer.",
    ),
    # --- aws control plane ---------------------------------------------------------------------
    _c(
        "aws.private-dns-disabled",
        "The VPC endpoint has private DNS off",
        "Without private DNS, {api}.execute-api.{region}.amazonaws.com does not resolve inside"
        " the VPC.",
        "Enable private DNS on the execute-api endpoint, or use the alias / endpoint DNS styles.",
    ),
    _c(
        "aws.vpce-unavailable",
        "The VPC endpoint is not available",
        "The endpoint's state is not 'available' (pending, rejected, deleting, failed).",
        "Wait for or fix the endpoint (an acceptance may be pending).",
    ),
    _c(
        "aws.vpce-not-associated",
        "The VPC endpoint is not associated with the API",
        "The {api}-{vpce} alias exists only for endpoints in the API's"
        " endpointConfiguration.vpcEndpointIds.",
        "Associate the endpoint with the API (add it to endpointConfiguration.vpcEndpointIds),"
        " redeploy the stage, and wait for the alias name to resolve.",
    ),
    _c(
        "aws.sg-blocks-443",
        "The endpoint's security groups do not admit 443 from here",
        "No inbound rule of the endpoint's security groups admits TCP 443 from this host.",
        "Add an inbound rule for TCP 443 from this host's CIDR or security group.",
    ),
    _c(
        "aws.single-az",
        "The VPC endpoint is in a single Availability Zone",
        "If that zone fails, every caller loses the API.",
        "Add a subnet in a second Availability Zone to the endpoint.",
    ),
    _c(
        "aws.vpc-dns-attributes",
        "The VPC's DNS attributes are off",
        "Private DNS for endpoints needs enableDnsSupport and enableDnsHostnames on the VPC.",
        "Turn on enableDnsSupport and enableDnsHostnames on the VPC (ec2 modify-vpc-attribute).",
    ),
    _c(
        "aws.api-not-private",
        "The API is not a PRIVATE API",
        "Its endpoint type is REGIONAL or EDGE; through a VPC endpoint with private DNS it"
        " answers 403 Forbidden.",
        "Call it through its public URL or a custom domain, not through the VPC endpoint.",
    ),
    _c(
        "aws.stage-missing",
        "The stage does not exist",
        "The API has no deployed stage of that name.",
        "Deploy the API to the stage (create-deployment with that stage name).",
    ),
    _c(
        "aws.endpoint-policy-denies",
        "The VPC endpoint policy denies the call",
        "Evaluated locally, the endpoint's policy does not allow execute-api:Invoke here.",
        "Allow execute-api:Invoke on the API's ARN in the endpoint policy.",
    ),
    _c(
        "aws.access-denied",
        "The control-plane call was denied",
        "The credentials lack a read permission the check needs.",
        "Grant the named permission (read-only) or skip the AWS control-plane checks.",
    ),
    _c(
        "aws.unreachable",
        "AWS APIs could not be reached",
        "The control-plane endpoint did not answer (no route to AWS from this VPC).",
        "Add interface endpoints for apigateway/ec2/sts, or skip the AWS control-plane checks.",
    ),
    _c(
        "aws.credentials-rejected",
        "AWS did not accept the credentials",
        "The control plane answered that the access key, session token or signature is not"
        " valid (an expired session, a wrong key, or a region the account has not enabled).",
        "Refresh the credentials (SSO login, assume the role again) or fix the profile's keys.",
    ),
    _c(
        "aws.not-found",
        "AWS does not know the resource",
        "The control plane has no API (or stage, endpoint, domain) with that id in this"
        " account and region.",
        "Check the id, the region and the account the credentials belong to.",
    ),
    _c(
        "aws.throttled",
        "The control-plane call was throttled",
        "AWS refused the call because the account sent too many control-plane requests.",
        "Wait a few seconds and try again; spread bulk operations out over time.",
    ),
    _c(
        "aws.bad-answer",
        "The control-plane endpoint did not answer like AWS",
        "The answer is not the AWS API's (an HTML login page, an empty body, text that is"
        " not JSON or XML, a redirect): a proxy or a wrong endpoint URL answered instead.",
        "Point the endpoint URL (AWS_ENDPOINT_URL, or the endpoint_url setting) at the AWS"
        " API's endpoint, or exempt it from the proxy that intercepts it.",
    ),
    _c(
        "aws.call-failed",
        "The control-plane call failed",
        "AWS answered an error that says nothing about the API itself (an internal error,"
        " a conflict, a rejected parameter).",
        "Try again; if it persists, make the same call with the AWS CLI to see AWS's answer.",
    ),
    _c(
        "aws.vpce-not-found",
        "No execute-api VPC endpoint was found",
        "The VPC has no interface endpoint for com.amazonaws.<region>.execute-api, so a"
        " private API cannot be reached from it.",
        "Create an interface endpoint for com.amazonaws.<region>.execute-api in the VPC,"
        " or name the endpoint to check.",
    ),
    # --- policy --------------------------------------------------------------------------------
    _c(
        "policy.denies",
        "The resource policy denies this caller",
        "Evaluated locally for this caller, endpoint and VPC, the resource policy denies the call.",
        "Change the deciding statement named in the evidence, then redeploy.",
    ),
    _c(
        "policy.not-deployed",
        "The saved policy and the live answer disagree",
        "The saved resource policy decides one way and the live probe the other: the API was"
        " probably not redeployed after the policy changed.",
        "Redeploy the stage (create-deployment) so the saved policy takes effect.",
    ),
    _c(
        "policy.missing",
        "The API has no resource policy",
        "A private API without a resource policy cannot be deployed and rejects every call.",
        "Attach one (the recommended policy allows the API's VPC endpoints), then redeploy.",
    ),
)

#: Every cause code -> its :class:`Cause`, in the order of the reference page.
CAUSES: Mapping[str, Cause] = {c.code: c for c in _ALL}

#: cause code -> the doctor's policy-outcome word; ``None`` (no error) is ``"allowed"``.
OUTCOMES: Mapping[str | None, str] = {
    None: "allowed",
    **{c.code: c.outcome for c in _ALL if c.outcome is not None},
}

#: Causes no retry can fix (the name or certificate is wrong): the client never retries them.
PERMANENT_CAUSES: frozenset[str] = frozenset(c.code for c in _ALL if c.permanent)


def cause(code: str) -> Cause:
    """Return the :class:`Cause` for a code, raising ``KeyError`` for an unknown one."""
    try:
        return CAUSES[code]
    except KeyError:
        raise KeyError(f"unknown cause code {code!r}") from None


def iter_causes() -> Iterator[Cause]:
    """Every cause, in documentation order (grouped by layer)."""
    return iter(_ALL)


def outcome_of(code: str | None) -> str:
    """The doctor's policy-outcome word for a cause code (``None`` is ``"allowed"``).

    A code without an outcome word reads as itself.

    Example:
        >>> outcome_of("http.explicit-deny"), outcome_of(None), outcome_of("tcp.timeout")
        ('explicit deny', 'allowed', 'tcp.timeout')
    """
    return OUTCOMES.get(code, code or "allowed")
