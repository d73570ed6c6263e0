from rest_framework.routers import DefaultRouter

from xiaobao.inspections import api

router = DefaultRouter()
router.include_format_suffixes = False
router.register("checklists", api.ChecklistViewSet, basename="inspections-checklist")
router.register("plans", api.PlanViewSet, basename="inspections-plan")
router.register("visits", api.VisitViewSet, basename="inspections-visit")
router.register("findings", api.FindingViewSet, basename="inspections-finding")
router.register("examinations", api.ExaminationViewSet, basename="inspections-examination")
router.register("meetings", api.MeetingViewSet, basename="inspections-meeting")

urlpatterns = router.urls
