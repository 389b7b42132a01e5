"""The service providers the sandbox can emulate, in one registry.

A :class:`Profile` says what the provider announces in /ServiceProviderConfig, how a
tenant's scim2-server application is wrapped to behave like the provider, and what
the provider answers when throttling. Add a provider by adding an entry to
:data:`PROFILES`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from scim2_models import Error, ServiceProviderConfig
from scim2_server.applications.wsgi import WSGIApplication
from scim2_server.memory import InMemoryStorage
from scim2_server.responses import ScimResponse
from scim2_server.testserver.application import BEARER_TOKEN_SCHEME
from scim2_server.utils import load_default_service_provider_config

from reconciler.sandbox.aws import AwsIdentityCenter
from reconciler.sandbox.throttle import Refusal, retry_after_refusal

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication as WSGICallable

Wrapper = Callable[[WSGIApplication, InMemoryStorage, bool], "WSGICallable"]


@dataclass(frozen=True)
class Profile:
    """How the sandbox emulates one service provider.

    :param config: the ServiceProviderConfig, given whether a bearer token is required.
    :param wrap: wrap one tenant's application, given its store and ``legacy_paging``.
    :param refusal: the 429 answered when the rate is exceeded.
    :param legacy_paging: whether ``legacy_paging`` means anything for this provider.
    """

    config: Callable[[bool], ServiceProviderConfig]
    wrap: Wrapper
    refusal: Refusal
    legacy_paging: bool = False


def generic_config(token_required: bool) -> ServiceProviderConfig:
    """scim2-server's default configuration, announcing the bearer scheme if used."""
    config = load_default_service_provider_config()
    if token_required:
        config.authentication_schemes = [
            *(config.authentication_schemes or []),
            BEARER_TOKEN_SCHEME,
        ]
    return config


def _unwrapped(app: WSGIApplication, storage: InMemoryStorage, legacy: bool) -> WSGICallable:
    return app


AWS_DOCS = "https://docs.aws.amazon.com/singlesignon/latest"

# What AWS's /ServiceProviderConfig answers (developerguide/serviceproviderconfig.html).
# The bulk and filter numbers are those of the current documentation as summarised in
# the reference file; AWS's own example may differ.
AWS_SERVICE_PROVIDER_CONFIG: dict[str, Any] = {
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
    "documentationUri": f"{AWS_DOCS}/userguide/manage-your-identity-source-idp.html",
    "authenticationSchemes": [
        {
            "type": "oauthbearertoken",
            "name": "OAuth Bearer Token",
            "description": "Authentication scheme using the OAuth Bearer Token Standard",
            "specUri": "https://www.rfc-editor.org/info/rfc6750",
            "documentationUri": f"{AWS_DOCS}/userguide/provision-automatically.html",
            "primary": True,
        }
    ],
    "patch": {"supported": True},
    "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
    "filter": {"supported": True, "maxResults": 100},
    "changePassword": {"supported": False},
    "sort": {"supported": False},
    "etag": {"supported": False},
}


def aws_config(token_required: bool) -> ServiceProviderConfig:
    """AWS always announces its bearer scheme, whether the sandbox checks a token or not."""
    return ServiceProviderConfig.model_validate(AWS_SERVICE_PROVIDER_CONFIG)


def _aws_wrap(app: WSGIApplication, storage: InMemoryStorage, legacy: bool) -> WSGICallable:
    return AwsIdentityCenter(app, storage, legacy_paging=legacy)


def throttling_exception(wait: float) -> ScimResponse:
    """AWS's ThrottlingException: a 429 with no Retry-After, as AWS documents none."""
    error = Error(
        status=429,
        detail="ThrottlingException: Too many requests were made that exceed the limits.",
    )
    return ScimResponse(HTTPStatus.TOO_MANY_REQUESTS, error.model_dump())


PROFILES: dict[str, Profile] = {
    "generic": Profile(generic_config, _unwrapped, retry_after_refusal),
    "aws-identity-center": Profile(aws_config, _aws_wrap, throttling_exception, legacy_paging=True),
}
