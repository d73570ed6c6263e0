from django.core.management.base import BaseCommand, CommandError

from xiaobao.api.models import ApiToken
from xiaobao.api.services import api_token_create, api_token_revoke
from xiaobao.lib.errors import DomainError
from xiaobao.organisation.models import User


class Command(BaseCommand):
    help = (
        "Issue an API token for a member of staff (printed once; only its hash is kept), "
        "or revoke one with --revoke PREFIX. The token acts with exactly its owner's rights."
    )

    def add_arguments(self, parser):
        parser.add_argument("username", nargs="?", help="the token's owner")
        parser.add_argument("--name", default="命令行签发", help="what the token is for")
        parser.add_argument("--days", type=int, default=None, help="validity (default 90)")
        parser.add_argument("--revoke", metavar="PREFIX", help="revoke the token with this prefix")

    def handle(self, *args, **options):
        try:
            if options["revoke"]:
                token = ApiToken.objects.filter(prefix=options["revoke"]).first()
                if token is None:
                    raise CommandError(f"找不到前缀为 {options['revoke']} 的令牌。")
                api_token_revoke(actor=None, token=token)
                self.stdout.write(f"已吊销令牌 {token.prefix}（{token.owner.username}）。")
                return
            if not options["username"]:
                raise CommandError("请指定令牌所属员工的用户名。")
            owner = User.objects.filter(username=options["username"]).first()
            if owner is None:
                raise CommandError(f"找不到用户 {options['username']}。")
            token, raw = api_token_create(
                actor=None, owner=owner, name=options["name"], days=options["days"]
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stderr.write(
            f"已为 {owner.username} 签发令牌 {token.prefix}，有效期至 "
            f"{token.expires_at:%Y-%m-%d}（只显示这一次，请妥善保存）："
        )
        self.stdout.write(raw)
