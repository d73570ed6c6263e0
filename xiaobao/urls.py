from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from django.utils.translation import gettext_lazy as _

admin.site.site_header = _("Xiaobao 消保平台 · 系统管理")
admin.site.site_title = _("Xiaobao 消保平台")
admin.site.index_title = _("系统管理")

# The API answers in its own JSON error shape even where no DRF view is reached.
handler404 = "xiaobao.api.errors.page_not_found"
handler500 = "xiaobao.api.errors.server_error"

urlpatterns: list[URLPattern | URLResolver] = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("xiaobao.api.urls")),
    path("portal/", include("xiaobao.portal.urls")),
    path("privacy/", include("xiaobao.privacy.urls")),
    path("reports/", include("xiaobao.reports.urls")),
    path("watch/", include("xiaobao.watch.urls")),
    path("search/", include("xiaobao.language.urls")),
    path("complaints/", include("xiaobao.complaints.urls")),
    path("evidence/", include("xiaobao.evidence.urls")),
    path("plans/", include("xiaobao.plans.urls")),
    path("outreach/", include("xiaobao.outreach.urls")),
    path("governance/", include("xiaobao.governance.urls")),
    path("inspections/", include("xiaobao.inspections.urls")),  # inspections
    path("partners/", include("xiaobao.partners.urls")),  # partners
    path("products/", include("xiaobao.products.urls")),  # products
    path("training/", include("xiaobao.training.urls")),  # training
    path("", include("xiaobao.front.urls")),
    path("assessment/", include("xiaobao.assessment.urls")),  # assessment
]
# Uploaded files are never served from /media/, not even in development: attachments are
# downloaded through the case page, which checks the login and the branch scope.
