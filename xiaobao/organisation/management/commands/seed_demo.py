from django.core.management.base import BaseCommand

from xiaobao.organisation.demo import DEMO_PASSWORD, seed_institution


class Command(BaseCommand):
    help = "建立演示机构、人员与角色（可重复运行）；后续模块在此基础上追加各自的演示数据。"

    def add_arguments(self, parser):
        parser.add_argument("--quiet-logins", action="store_true", help="不打印演示账号")

    def handle(self, *args, **options):
        logins = seed_institution()
        for extend in self.extensions():
            extend(stdout=self.stdout)
        if options["quiet_logins"]:
            return
        self.stdout.write(
            self.style.SUCCESS(f"演示数据已就绪。所有演示账号的密码：{DEMO_PASSWORD}")
        )
        self.stdout.write(f"{'用户名':<18}{'角色':<16}机构")
        shown = {
            "admin",
            "hq_officer",
            "auditor",
            "retail_dept",
            "hz_officer",
            "hz_head",
            "hz1_handler",
            "hz1_head",
            "hz11_handler",
            "nj_officer",
            "nj1_handler",
            "cd1_handler",
            # The work programme's own people: trainer, inspectors, pre-review.
            "hq_senior",
            "trainer",
            "inspector",
            "vendor_shopper",
            "product_reviewer",
            "wealth_pm",
        }
        for login in logins:
            if login.username in shown:
                self.stdout.write(f"{login.username:<20}{login.role:<14}{login.unit}")
        self.stdout.write(f"（共 {len(logins)} 个演示账号，完整列表见“人员”页面）")

    def extensions(self):
        """Later apps add their demo data by exposing `seed_demo(stdout=…)` in `<app>/demo.py`."""
        from importlib import import_module

        from django.apps import apps

        hooks = []
        for config in apps.get_app_configs():
            if not config.name.startswith("xiaobao.") or config.label == "organisation":
                continue
            try:
                module = import_module(f"{config.name}.demo")
            except ModuleNotFoundError as exc:
                if exc.name != f"{config.name}.demo":
                    raise  # the app has demo data but something it needs is missing: say so
                continue
            if hasattr(module, "seed_demo"):
                hooks.append(module.seed_demo)
        return hooks
