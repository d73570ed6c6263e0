from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest

from xiaobao.evidence.models import EvidenceFile
from xiaobao.organisation.scope import get_visible_or_404


@login_required
def download(request: HttpRequest, pk: int) -> FileResponse:
    """One evidence file, for staff whose scope covers its unit (others get a 404)."""
    evidence = get_visible_or_404(request.user, EvidenceFile.objects.all(), pk=pk)
    # An account without the right to read evidence (a vendor's inspector placed at head office)
    # gets only the files it uploaded itself, never the rest of its unit's subtree.  # inspections
    if not request.user.has_perm("evidence.view_evidencefile") and (
        evidence.uploaded_by_id != request.user.pk
    ):
        raise Http404
    response = FileResponse(
        evidence.file.open("rb"),
        as_attachment=not evidence.is_image,
        filename=evidence.original_name,
        content_type=evidence.mime_type,
    )
    response["Cache-Control"] = "private, no-store"
    return response
