"""Complaint rectification moves onto the one task engine: every Rectification becomes a
plans.Task (source = the complaint, owner = the department's unit), then the model goes away.

Going back recreates the (empty) table only: after the move, progress, evidence and acceptance
live on the tasks, which stay where they are.
"""

from django.db import migrations

STATUS = {"open": "open", "done": "done", "cancelled": "cancelled"}


def forward(apps, schema_editor):
    Rectification = apps.get_model("complaints", "Rectification")
    Task = apps.get_model("plans", "Task")
    RecordEvent = apps.get_model("audit", "RecordEvent")
    ContentType = apps.get_model("contenttypes", "ContentType")
    complaint_type, _ = ContentType.objects.get_or_create(app_label="complaints", model="complaint")
    task_type, _ = ContentType.objects.get_or_create(app_label="plans", model="task")
    rows = Rectification.objects.select_related("complaint", "department").order_by("id")
    for r in rows.iterator(chunk_size=500):
        status = STATUS.get(r.status, "open")
        done = status == "done"
        task = Task.objects.create(
            source_kind="complaint_rectification",
            source_type=complaint_type,
            source_id=r.complaint_id,
            source_label=r.complaint.registry_no,
            source_url=f"/complaints/{r.complaint_id}/",
            issuing_unit_id=r.complaint.unit_id,
            issued_by_id=r.created_by_id,
            owner_unit_id=r.department.unit_id,
            owner_department_id=r.department_id,
            title=f"投诉{r.complaint.registry_no}溯源整改"[:200],
            description=r.description,
            due_date=r.due_date,
            progress_pct=100 if done else 0,
            status=status,
            created_at=r.created_at,
            submitted_at=r.completed_at if done else None,
            completed_at=r.completed_at if done else None,
            completion_note=r.result,
            next_check_at=r.created_at if status == "open" else None,
        )
        RecordEvent.objects.create(
            occurred_at=r.created_at,
            content_type=task_type,
            object_id=task.pk,
            unit_id=task.owner_unit_id,
            actor_id=r.created_by_id,
            action="create",
            action_label="下达任务",
            to_status="open",
            reason="由原整改任务迁移",
            data={"rectification": r.pk},
        )
        if done:
            RecordEvent.objects.create(
                occurred_at=r.completed_at or r.created_at,
                content_type=task_type,
                object_id=task.pk,
                unit_id=task.owner_unit_id,
                action="accept",
                action_label="验收通过",
                from_status="open",
                to_status="done",
                reason=r.result,
                data={"rectification": r.pk},
            )


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0005_statistics_facts"),
        ("plans", "0001_initial"),
        ("audit", "0003_record_event"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(forward, migrations.RunPython.noop, elidable=False),
        migrations.DeleteModel(name="Rectification"),
    ]
