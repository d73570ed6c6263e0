"""The one mapping of domain errors to HTTP status codes, for every edge (pages and API).

- refused, or the record's unit is out of the user's scope for this action → 403
- a record the user may not see at all → 404 (selectors raise Http404 before any service runs)
- an illegal transition (the case's state does not allow the action) → 409
- invalid input → 400 on a page (the form is re-rendered with the error on its field), 422 in the
  API when the input was well-formed but a rule of the domain refused it.

Workbench views call `domain_status` (and `form_error` to put the message on the form); the API's
exception handler calls it with ``invalid=422``. Later apps reuse both.
"""

from __future__ import annotations

from typing import Any

from xiaobao.lib.errors import DomainError, InvalidTransitionError, PermissionDeniedError

FORBIDDEN = 403
CONFLICT = 409
BAD_REQUEST = 400


def domain_status(exc: DomainError, *, invalid: int = BAD_REQUEST) -> int:
    """The status code a refused request answers with."""
    if isinstance(exc, PermissionDeniedError):
        return FORBIDDEN
    if isinstance(exc, InvalidTransitionError):
        return CONFLICT
    return invalid


def form_error(form: Any, exc: DomainError) -> None:
    """Put the service's message on the form field it names (last segment of a dotted path)."""
    field = (exc.field or "").split(".")[-1]
    if field and field in form.fields:
        form.add_error(field, exc.message)
    else:
        form.add_error(None, exc.message)
