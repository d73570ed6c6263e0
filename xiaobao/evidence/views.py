from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest

from xiaobao.evidence.models import EvidenceFile
from xiaobao.organisation.scope import get_visible_or_404


@login_required
def download(request: HttpRequest, pk: int) -> FileResponse:
    """One evidence file, for staff whose scope covers its unit (others get a 404)."""
    evidence = get_visible_or_404(request.user, EvidenceFile.objects.all(), pk=pk)
    response = FileResponse(
        evidence.file.open("rb"),
        as_attachment=not evidence.is_image,
        filename=evidence.original_name,
        content_type=evidence.mime_type,
    )
    response["Cache-Control"] = "private, no-store"
    return response
