from django.core.management.base import BaseCommand

from xiaobao.intake.services import import_runs_sweep


class Command(BaseCommand):
    help = (
        "Delete import uploads left behind (abandoned in the wizard, or by a worker that died) "
        "and mark their runs; run hourly (cron or the periodic scheduler)."
    )

    def handle(self, *args, **options):
        counts = import_runs_sweep()
        self.stdout.write(
            f"已清理：放弃的导入 {counts['abandoned']} 个，中断的导入 {counts['failed']} 个，"
            f"无主文件 {counts['files']} 个。"
        )
