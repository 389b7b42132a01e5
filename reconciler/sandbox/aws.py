"""AWS IAM Identity Center emulation: a WSGI middleware around one tenant's scim2-server.

It makes the endpoint behave as AWS documents it (see
``/work/shared/reference/scim-providers.md``), so a client can rehearse offline:

- listing non-paginated without ``cursor``, by cursor with it, eq-only filters,
  ``groups.value`` membership (:mod:`.aws_listing`);
- the write rules on users and groups (:mod:`.aws_rules`), plus those that need the
  store: a unique group displayName and a unique primary email (409), and the state a
  user PATCH would leave (400);
- no /Bulk, /.search, /Me (404); no PUT on groups (400); authentication required on
  every endpoint, /ServiceProviderConfig included;
- groups always read back with ``members: []``; no ETags (``meta.version``, ``ETag``
  stripped, ``If-Match`` / ``If-None-Match`` ignored).

Everything else is served by scim2-server unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from scim2_models import (
    InvalidSyntaxException,
    InvalidValueException,
    NotFoundException,
    UniquenessException,
)
from scim2_server.applications.wsgi import WSGIApplication, send_response
from scim2_server.memory import InMemoryStorage
from scim2_server.requests import ScimRequest
from scim2_server.responses import ScimResponse
from scim2_server.routing import Operation, Target

from reconciler.sandbox import aws_listing, aws_rules

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

Handler = Callable[[ScimRequest, Target], ScimResponse]

_NOT_SERVED = (Operation.bulk, Operation.search_with_body)
_CONDITIONAL_HEADERS = frozenset({"if-match", "if-none-match"})


class AwsIdentityCenter:
    """Serve one tenant as AWS IAM Identity Center's SCIM endpoint would.

    :param app: the tenant's scim2-server application; its provider must carry the
        AWS ServiceProviderConfig (etag, sort and bulk unsupported).
    :param storage: the tenant's store, read directly for listings and membership.
    :param legacy_paging: list as the older AWS documentation says: at most 50
        resources, no pagination, ``totalResults`` equal to what is returned.
    """

    def __init__(
        self, app: WSGIApplication, storage: InMemoryStorage, *, legacy_paging: bool = False
    ) -> None:
        self.app = app
        self.storage = storage
        self.service = app.service
        self.legacy_paging = legacy_paging
        self.handlers: dict[tuple[Operation, str], Handler] = {
            (Operation.search, "User"): self._list,
            (Operation.search, "Group"): self._list,
            (Operation.create, "User"): self._write_user,
            (Operation.replace, "User"): self._write_user,
            (Operation.patch, "User"): self._patch_user,
            (Operation.create, "Group"): self._create_group,
            (Operation.replace, "Group"): _refuse_group_replacement,
            (Operation.patch, "Group"): self._patch_group,
        }

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = self.app.read_request(environ)
        response = self.app.finalize_response(request, self.answer(request))
        return send_response(response, start_response)

    def answer(self, request: ScimRequest) -> ScimResponse:
        """Serve a request, or answer the SCIM error it deserves."""
        request.headers = _without_conditions(request.headers)
        try:
            target = self.service.match(request)
            self.app.check_auth(request)  # AWS authenticates every endpoint
            response = self._dispatch(request, target)
        except Exception as exception:
            return self.app.handle_exception(request, exception)
        return scrub(response, groups_read=_reads_groups(request, target, self._type_of(target)))

    def _dispatch(self, request: ScimRequest, target: Target) -> ScimResponse:
        if target.me or target.operation in _NOT_SERVED:
            raise NotFoundException(detail=f"No SCIM endpoint at {request.path!r}")
        type_name = self._type_of(target)
        if target.operation is Operation.search and type_name is None:
            raise NotFoundException(detail="Searching at the root is not supported")
        handler = self.handlers.get((target.operation, type_name or ""), self._pass)
        return handler(request, target)

    def _type_of(self, target: Target) -> str | None:
        if target.endpoint is None:
            return None
        resource_type = self.service.get_resource_type_by_endpoint(target.endpoint)
        return resource_type.name if resource_type else None

    def _pass(self, request: ScimRequest, target: Target | None = None) -> ScimResponse:
        return self.app.dispatch_request(request)

    # -- Listing ----------------------------------------------------------------------

    def _list(self, request: ScimRequest, target: Target) -> ScimResponse:
        listing = aws_listing.read_listing(self._type_of(target) or "", request.query)
        body = aws_listing.answer(
            self.storage,
            listing,
            self.service.get_resource_type("Group"),
            lambda page: aws_listing.publish_all(self.service, request.base_url, page),
            legacy=self.legacy_paging,
        )
        return ScimResponse(HTTPStatus.OK, body)

    # -- Users ------------------------------------------------------------------------

    def _write_user(self, request: ScimRequest, target: Target) -> ScimResponse:
        body = self._json(request)
        aws_rules.check_user(body)
        spaces = target.operation is Operation.replace  # PutUser allows them, CreateUser not
        aws_rules.check_user_name(aws_rules.lookup(body, "userName"), spaces=spaces)
        with self.storage.lock:
            self._check_primary_email_free(body, target.resource_id)
            return self._pass(request)

    def _patch_user(self, request: ScimRequest, target: Target) -> ScimResponse:
        aws_rules.check_user_patch(aws_rules.operations_of(self._json(request)))
        with self.storage.lock:
            patched = self._user_after_patch(request, target)
            aws_rules.check_user(patched)
            self._check_primary_email_free(patched, target.resource_id)
            return self._pass(request)

    def _check_primary_email_free(self, user: Mapping[str, Any], user_id: str | None) -> None:
        """A 409, as AWS's ConflictException, when another user has this primary email.

        The provisioning considerations say the primary email "must be unique for each
        user"; how AWS refuses a duplicate is not documented, so the sandbox answers as
        for a duplicate userName. Case is ignored: the stricter reading.
        """
        email = aws_rules.primary_email(user)
        if email is None:
            return
        for resource in self.storage.resources:
            if resource.meta is None or resource.meta.resource_type != "User":
                continue
            if resource.id != user_id and _primary_email_of(resource) == email:
                raise UniquenessException(detail="Another user already has this primary email")

    def _user_after_patch(self, request: ScimRequest, target: Target) -> dict[str, Any]:
        """Apply the PATCH to a copy of the stored user, to check what it would leave."""
        resource_type = self.service.resource_type_at(target.endpoint or "")
        patch = self.service.read_patch(resource_type, request.body, request.header("Content-Type"))
        user = self.storage.get(resource_type, target.resource_id or "")
        patch.patch(user)
        dumped: dict[str, Any] = user.model_dump()
        return dumped

    # -- Groups -----------------------------------------------------------------------

    def _create_group(self, request: ScimRequest, target: Target) -> ScimResponse:
        body = self._json(request)
        aws_rules.check_group_creation(body)
        with self.storage.lock:  # reentrant: held across the check and the write
            self._check_display_name_free(aws_rules.lookup(body, "displayName"), None)
            return self._pass(request)

    def _patch_group(self, request: ScimRequest, target: Target) -> ScimResponse:
        body = self._json(request)
        operations = aws_rules.operations_of(body)
        aws_rules.check_group_patch(operations)
        request.body = json.dumps(aws_rules.expand_member_removals(body)).encode()
        with self.storage.lock:
            name = aws_rules.patched_display_name(operations)
            self._check_display_name_free(name, target.resource_id)
            return self._pass(request)

    def _check_display_name_free(self, name: Any, group_id: str | None) -> None:
        """A 409, as AWS's ConflictException, when another group has this displayName.

        Names are compared ignoring case: AWS does not document the case rule, and
        the stricter reading is the safer one to rehearse against.
        """
        if not isinstance(name, str):
            return
        folded = name.casefold()
        for resource in self.storage.resources:
            if resource.meta is None or resource.meta.resource_type != "Group":
                continue
            other = getattr(resource, "display_name", None) or ""
            if resource.id != group_id and other.casefold() == folded:
                raise UniquenessException(detail=f"A group named {name!r} already exists")

    def _json(self, request: ScimRequest) -> Mapping[str, Any]:
        body = self.service.decode_body(request.body, request.header("Content-Type"))
        if not isinstance(body, Mapping):
            raise InvalidSyntaxException(detail="The request body must be a JSON object")
        return body


def _primary_email_of(user: Any) -> str | None:
    for email in getattr(user, "emails", None) or []:
        if email.primary and isinstance(email.value, str):
            return email.value.casefold()
    return None


def _refuse_group_replacement(request: ScimRequest, target: Target) -> ScimResponse:
    # AWS documents no PUT on /Groups, and its error tables answer an unsupported
    # operation with ValidationException, a 400 (not a 405).
    raise InvalidValueException(detail="PUT is not supported on Groups: use PATCH")


def scrub(response: ScimResponse, *, groups_read: bool) -> ScimResponse:
    """Drop what AWS never sends: ETags and meta.version; a read group's members."""
    response.headers.pop("ETag", None)
    body = response.body or {}
    resources = body.get("Resources") if "Resources" in body else [body]
    for resource in resources if isinstance(resources, list) else []:
        if isinstance(resource, dict):
            _scrub_resource(resource, groups_read)
    return response


def _scrub_resource(resource: dict[str, Any], groups_read: bool) -> None:
    meta = resource.get("meta")
    if isinstance(meta, dict):
        meta.pop("version", None)
        if groups_read and meta.get("resourceType") == "Group":
            resource["members"] = []


def _reads_groups(request: ScimRequest, target: Target, type_name: str | None) -> bool:
    reads = target.operation in (Operation.query, Operation.search)
    return reads and type_name == "Group" and request.method.upper() == "GET"


def _without_conditions(
    headers: Mapping[str, str] | Iterable[tuple[str, str]],
) -> dict[str, str]:
    """AWS has no ETags, so conditional headers are ignored rather than evaluated."""
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    return {key: value for key, value in pairs if key.casefold() not in _CONDITIONAL_HEADERS}
