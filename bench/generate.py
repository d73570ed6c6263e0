"""Fill a database with N realistic complaints over several years, fast.

    python -m bench.generate --cases 20000 [--database-url URL] [--years 3] [--seed S] [--fresh]

Migrates the database, builds the demo institution (plus more outlets), then streams the cases
day by day in time order: each case gets its complainant (encrypted, with blind-index hashes), its
lifecycle up to now (register, accept, pause, extension, decide, notify, close, withdraw,
decline) with consistent clock fields computed by the product's own deadline engine, the events,
decision, notice, rectification and follow-up rows, and a narrative built from the real texts in
../shared/data. Rows are written in batches (COPY on PostgreSQL, executemany on SQLite), never one
save() per row; registry numbers are assigned in bulk and the per-year sequences set to the max.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import resource
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench import SHARED_DATA
from bench.dbenv import DEFAULT_SQLITE, ensure_database, fresh_database, setup_django
from bench.lifecycle import Case, Simulator

if TYPE_CHECKING:
    from django.db import models

DAY = timedelta(days=1)
CHANNEL_WEIGHTS = {
    "COUNTER": 30,
    "HOTLINE": 28,
    "WEB_APP": 10,
    "LETTER": 3,
    "EMAIL": 2,
    "OPINION_BOOK": 2,
    "PORTAL": 3,
    "R12345": 10,
    "R12363": 6,
    "R12378": 5,
    "REGULATOR_LETTER": 1,
}
REFERRAL_PREFIX = {"R12345": "12345-", "R12363": "PBC-", "R12378": "NFRA-", "R12315": "SCJG-"}
BUSINESS_CHANNEL_WEIGHTS = {
    "COUNTER": 30,
    "E_MOBILE": 30,
    "E_PHONE": 15,
    "E_ONLINE": 6,
    "SELF_SERVICE": 6,
    "THIRD_PARTY": 8,
    "BACK_OFFICE": 5,
}


@dataclass
class Stats:
    cases: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)
    phases: dict[str, float] = field(default_factory=dict)

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def _weighted(rng: random.Random, items: list[Any], cumulative: list[float]) -> Any:
    import bisect

    return items[bisect.bisect(cumulative, rng.random() * cumulative[-1])]


def _cumulative(weights: list[float]) -> list[float]:
    out, total = [], 0.0
    for w in weights:
        total += w
        out.append(total)
    return out


def day_counts(cases: int, first: date, last: date) -> list[tuple[date, int]]:
    """Spread `cases` over the days: fewer at weekends, growth year on year, a 3·15 peak."""
    days = [first + DAY * i for i in range((last - first).days + 1)]
    weights = []
    for d in days:
        w = (1.0, 1.0, 1.0, 1.0, 0.95, 0.45, 0.35)[d.weekday()]
        w *= 1.15 ** ((d - first).days / 365)
        if d.month == 3 and 10 <= d.day <= 20:
            w *= 1.4
        if d.month == 2 and d.day <= 14:
            w *= 0.7
        weights.append(w)
    total = sum(weights)
    exact = [cases * w / total for w in weights]
    counts = [math.floor(x) for x in exact]
    # Largest remainders get the rest, so the counts add up to exactly `cases`.
    rest = cases - sum(counts)
    for i in sorted(range(len(days)), key=lambda i: exact[i] - counts[i], reverse=True)[:rest]:
        counts[i] += 1
    return list(zip(days, counts, strict=True))


class Generator:
    """Streams cases into the tables; memory stays at one batch of rows."""

    def __init__(
        self,
        *,
        seed: int,
        end: datetime,
        batch: int,
        log: Callable[[str], None],
        stuck: float = 0.0,
    ) -> None:
        from bench.narratives import Composer, Corpus
        from bench.tables import TableWriter, next_id
        from xiaobao.complaints import clock
        from xiaobao.complaints.choices import PolicyKind
        from xiaobao.complaints.models import (
            Complaint,
            TaxonomyTerm,
        )
        from xiaobao.deadlines.engine import TZ
        from xiaobao.organisation.models import Department, Unit, User
        from xiaobao.organisation.roles import group_name
        from xiaobao.privacy import crypto

        self.rng = random.Random(seed)
        self.end = end
        self.batch = batch
        self.log = log
        self.tz = TZ
        self.crypto = crypto
        self.policy = clock.policy_snapshot(PolicyKind.COMPLAINT)
        self.composer = Composer(Corpus.load(SHARED_DATA))

        self.terms: dict[str, dict[str, int]] = {}
        self.referral: set[str] = set()
        for t in TaxonomyTerm.objects.filter(is_active=True):
            self.terms.setdefault(t.axis, {})[t.code] = t.pk
            if t.axis == "intake_channel" and t.attributes.get("referral"):
                self.referral.add(t.code)
        channels = [c for c in CHANNEL_WEIGHTS if c in self.terms.get("intake_channel", {})]
        self.channels = (channels, _cumulative([CHANNEL_WEIGHTS[c] for c in channels]))
        bch = [c for c in BUSINESS_CHANNEL_WEIGHTS if c in self.terms.get("business_channel", {})]
        self.business_channels = (bch, _cumulative([BUSINESS_CHANNEL_WEIGHTS[c] for c in bch]))

        # Who handles what: the nearest handler at or above the unit, its branch officer.
        by_role: dict[str, list[Any]] = {}
        for user in User.objects.select_related("unit").prefetch_related("groups"):
            for g in user.groups.all():
                by_role.setdefault(g.name, []).append(user)

        def nearest(role: str, unit: Any) -> int | None:
            best = None
            for u in by_role.get(group_name(role), []):
                if unit.path.startswith(u.unit.path) and (
                    best is None or u.unit.depth > best.unit.depth
                ):
                    best = u
            return best.pk if best is not None else None

        outlets = list(Unit.objects.filter(kind="outlet", is_active=True).select_related("parent"))
        if not outlets:
            raise RuntimeError("no outlets: seed the institution first")
        self.outlets = []
        for o in outlets:
            resp = o.parent if (o.parent is not None and o.parent.kind == "sub_branch") else o
            handler = (
                nearest("handler", o)
                or nearest("branch_cp_officer", o)
                or nearest("hq_cp_officer", o)
            )
            officer = nearest("branch_cp_officer", o) or nearest("hq_cp_officer", o) or handler
            self.outlets.append((o, resp, handler, officer))
        self.outlet_cum = _cumulative([float(o.customer_count or 30_000) for o in outlets])
        hq_depts = Department.objects.filter(unit__parent__isnull=True)
        self.departments = {d.function: d.pk for d in hq_depts}
        self.hq_officer = nearest("hq_cp_officer", Unit.objects.get(parent__isnull=True))
        self.simulator = Simulator(
            end=end,
            policy=self.policy,
            calendar=clock.current_calendar(),
            departments=self.departments,
            new_id=self._id,
            tz=TZ,
            stuck=stuck,
        )

        now = end
        self.models = table_models()
        self.writers = {k: TableWriter(m, now=now) for k, m in self.models.items()}
        self.ids = {k: next_id(m) for k, m in self.models.items()}
        self.ids["rectification"] = 1  # numbered by the simulator, not written (see case())
        self.m2m_columns = {
            k: self._m2m_keys(self.models[k], Complaint) for k in ("demands", "tags")
        }
        self.sequences: dict[int, int] = {}
        from xiaobao.complaints.models import RegistrySequence

        for seq in RegistrySequence.objects.all():
            self.sequences[seq.year] = seq.last
        self.stats = Stats()

    @staticmethod
    def _m2m_keys(through: Any, owner: Any) -> tuple[str, str]:
        fks = [f for f in through._meta.concrete_fields if f.is_relation]
        own = next(f.attname for f in fks if f.related_model is owner)
        other = next(f.attname for f in fks if f.attname != own)
        return own, other

    def _id(self, key: str) -> int:
        value = self.ids[key]
        self.ids[key] = value + 1
        return value

    # --- one case --------------------------------------------------------------------------------

    def case(self, received: datetime) -> None:
        from xiaobao.complaints.textgen import compose_person
        from xiaobao.privacy.sealing import redact_text

        rng, crypto = self.rng, self.crypto
        outlet, unit, handler, officer = _weighted(rng, self.outlets, self.outlet_cum)
        local = received.astimezone(self.tz)
        year = local.year
        seq = self.sequences.get(year, 0) + 1
        self.sequences[year] = seq
        cid = self._id("complaint")
        terms = self.terms
        channel = _weighted(rng, *self.channels)
        person = compose_person(rng)
        story = self.composer.compose(rng, received=local.date(), outlet=outlet.name)
        category = terms.get("business_category", {}).get(story.category) or terms.get(
            "business_category", {}
        ).get("OTHER")
        cause = terms.get("cause", {}).get(story.cause)
        level_code = "NORMAL"
        roll = rng.random()
        group = 1
        if roll < 0.0008:
            level_code, group = "MAJOR", rng.randint(20, 45)
        elif roll < 0.08:
            level_code = "COMPLEX"
        tags = []
        if channel in ("R12363", "R12378", "REGULATOR_LETTER"):
            tags.append("REGULATOR")
        if local.year - person.birth_year >= 65:
            tags.append("ELDERLY")
        if rng.random() < 0.01:
            tags.append("MEDIA")
        if rng.random() < 0.03:
            tags.append("REPEAT")

        life = self.simulator.play(
            rng,
            Case(
                cid=cid,
                received=received,
                channel=channel,
                level=level_code,
                group=group,
                title=story.title,
                topic=story.topic,
                amount=story.amount,
                handler=handler,
                officer=officer,
            ),
        )
        status = life.status
        referral = channel in self.referral
        calls = sorted(
            (r["made_at"], r["result"])
            for r in life.rows.get("follow_up", ())
            if r["result"] != "unreachable"
        )
        amount = story.amount
        row = {
            "id": cid,
            "registry_no": f"TS{year}-{seq:06d}",
            "kind": "complaint",
            "status": status,
            "received_at": received,
            "intake_channel_id": terms["intake_channel"][channel],
            "external_ref": f"{REFERRAL_PREFIX.get(channel, 'JG-')}{local:%Y%m%d}-{cid % 100000:05d}"
            if referral
            else "",
            "referrer_received_on": (local - rng.randint(1, 6) * DAY).date() if referral else None,
            "unit_id": unit.pk,
            "complained_unit_id": outlet.pk,
            "complained_staff_id": None,
            "complained_staff_name": "",
            "handler_id": handler if status != "registered" and status != "declined" else None,
            "title": story.title,
            "narrative": story.body,
            "demand_text": "",
            "amount": amount,
            "business_channel_id": terms["business_channel"][
                _weighted(rng, *self.business_channels)
            ],
            "business_category_id": category,
            "cause_id": cause,
            "level_id": terms["level"][level_code],
            "group_size": group,
            "is_major": level_code == "MAJOR",
            "major_reason": "group" if level_code == "MAJOR" else "",
            "deadline_policy": self.policy,
            "allowed_days": life.allowed,
            "clock_restarted_at": None,
            "due_date": life.due.due_date,
            "due_at": life.due.due_at,
            "deadline_explanation": life.due.explanation,
            "review_of_id": None,
            "merged_into_id": None,
            "decided_at": life.decided_at,
            "notified_at": life.notified_at,
            "timely": life.timely,
            "ended_at": life.ended_at,
            "end_reason": life.end_reason,
            "root_cause": life.root_cause,
            "at_fault": life.at_fault,
            "extension_approved": any(
                r["status"] == "approved" for r in life.rows.get("extension", ())
            ),
            "review_requested": False,  # the generator files no reviews
            "review_outcome": "",
            "follow_up_result": calls[-1][1] if calls else "",
            "legal_hold": False,
            "legal_hold_reason": "",
            "anonymised_at": None,
            "created_by_id": officer,
            "created_at": received,
            "updated_at": max(e.at for e in life.events),
        }
        # Personal data in the title and narrative is masked and the text as typed sealed, as
        # the product's registration does (privacy.sealing).
        sealed = {}
        for key in ("title", "narrative"):
            masked = redact_text(row[key], names=[person.name])[: 120 if key == "title" else None]
            if masked != row[key]:
                sealed[key] = {"o": row[key], "m": masked}
                row[key] = masked
        if sealed:
            row["sealed_text"] = crypto.encrypt(
                json.dumps(sealed, ensure_ascii=False), field="sealed_text"
            )
        w = self.writers
        w["complaint"].add(row)
        card = person.card_number if rng.random() < 0.4 else ""
        email = person.email
        w["complainant"].add(
            {
                "id": self._id("complainant"),
                "complaint_id": cid,
                "role": "self",
                "name": crypto.encrypt(person.name, field="name"),
                "id_type": "resident_id",
                "id_number": crypto.encrypt(person.id_number, field="id_number"),
                "phone": crypto.encrypt(person.phone, field="phone"),
                "email": crypto.encrypt(email, field="email") if email else "",
                "address": crypto.encrypt(person.address, field="address"),
                "card_number": crypto.encrypt(card, field="card") if card else "",
                "id_number_hash": crypto.blind_index(person.id_number, kind="id_number"),
                "phone_hash": crypto.blind_index(person.phone, kind="phone"),
                "card_hash": crypto.blind_index(card, kind="card") if card else "",
                "name_index": crypto.name_index(person.name),
                "legal_representative": "",
                "represents": "",
                "is_representative": False,
            }
        )
        for e in life.events:
            w["event"].add(
                {
                    "id": self._id("event"),
                    "complaint_id": cid,
                    "action": e.action,
                    "occurred_at": e.at,
                    "actor_id": e.actor,
                    "from_status": e.from_status,
                    "to_status": e.to_status,
                    "reason": e.reason,
                    "data": e.data,
                }
            )
        for kind, rows in life.rows.items():
            # Rectifications are plans.Task rows now (issue 19); the generator writes none.
            if kind in w:
                w[kind].extend(rows)
        for key, codes, axis in (("demands", story.demands, "demand"), ("tags", tags, "tag")):
            own, other = self.m2m_columns[key]
            for code in codes:
                term = terms.get(axis, {}).get(code)
                if term is not None:
                    w[key].add({"id": self._id(key), own: cid, other: term})
        self.stats.cases += 1
        self.stats.statuses[status] = self.stats.statuses.get(status, 0) + 1

    # --- the whole run ---------------------------------------------------------------------------

    def flush(self) -> None:
        from django.db import transaction

        with transaction.atomic():
            for key, writer in self.writers.items():
                n = writer.flush()
                self.stats.rows[key] = self.stats.rows.get(key, 0) + n

    def run(self, cases: int, years: float) -> Stats:
        rng = self.rng
        last = self.end.astimezone(self.tz).date()
        first = last - timedelta(days=round(365 * years) - 1)
        started = time.perf_counter()
        pending = 0
        report_every = max(self.batch * 10, cases // 20)
        next_report = report_every
        for day, n in day_counts(cases, first, last):
            if not n:
                continue
            base = datetime(day.year, day.month, day.day, tzinfo=self.tz)
            moments = []
            for _ in range(n):
                # Counters and letters arrive in office hours; the hotline and app all day.
                hours = rng.uniform(8.5, 17.5) if rng.random() < 0.8 else rng.uniform(0, 24)
                moments.append(base + timedelta(hours=hours))
            moments.sort()
            for moment in moments:
                if moment > self.end:
                    moment = self.end - timedelta(minutes=rng.uniform(1, 600))
                self.case(moment)
                pending += 1
                if pending >= self.batch:
                    self.flush()
                    pending = 0
                if self.stats.cases >= next_report:
                    rate = self.stats.cases / (time.perf_counter() - started)
                    self.log(f"  {self.stats.cases:,} cases ({rate:,.0f} cases/s)")
                    next_report += report_every
        self.flush()
        self.stats.phases["cases"] = time.perf_counter() - started
        self._finish()
        return self.stats

    def _finish(self) -> None:
        from django.db import connection

        from bench.tables import reset_sequences
        from xiaobao.complaints.models import RegistrySequence

        started = time.perf_counter()
        for year, last in self.sequences.items():
            RegistrySequence.objects.update_or_create(year=year, defaults={"last": last})
        reset_sequences(self.models.values())
        self.stats.phases["finish"] = time.perf_counter() - started
        started = time.perf_counter()
        self._statistics_store()
        self.stats.phases["statistics_store"] = time.perf_counter() - started
        with connection.cursor() as cur:
            cur.execute("ANALYZE")

    def _statistics_store(self) -> None:
        """The rows went in by COPY, past the services that keep the statistics store: fill
        it the way a data migration does, set-based (facts in one INSERT … SELECT, then people)."""
        try:
            from xiaobao.reports import facts
        except ImportError:
            return  # a version without the store
        facts.rebuild()


def table_models() -> dict[str, type[models.Model]]:
    """The tables the generator writes, under the names its figures use."""
    from xiaobao.complaints.models import (
        Complainant,
        Complaint,
        ComplaintEvent,
        Decision,
        Extension,
        FollowUp,
        Notice,
        Pause,
    )

    return {
        "complaint": Complaint,
        "complainant": Complainant,
        "event": ComplaintEvent,
        "decision": Decision,
        "notice": Notice,
        "pause": Pause,
        "extension": Extension,
        "follow_up": FollowUp,
        "demands": Complaint.demands.through,
        "tags": Complaint.tags.through,
    }


def _extra_outlets(per_sub_branch: int) -> int:
    """More outlets under every sub-branch, so a large registry spreads like a real network."""
    from xiaobao.organisation import services
    from xiaobao.organisation.models import Unit

    names = [
        "东门",
        "西门",
        "南湖",
        "北苑",
        "新城",
        "老街",
        "滨河",
        "科技园",
        "火车站",
        "开发区",
        "大学城",
        "高铁站",
    ]
    added = 0
    for sub in Unit.objects.filter(kind="sub_branch").order_by("path"):
        have = Unit.objects.filter(parent=sub).count()
        for i in range(have, have + per_sub_branch):
            code = f"{sub.code}X{i:02d}"
            if Unit.objects.filter(code=code).exists():
                continue
            services.unit_create(
                actor=None,
                code=code,
                name=f"{sub.short_name or sub.name}{names[i % len(names)]}网点",
                kind="outlet",
                parent=sub,
                customer_count=20_000 + 3_000 * (i % 7),
            )
            added += 1
    return added


def search_index(log: Callable[[str], None], workers: int = 1) -> tuple[int, float] | None:
    """Build the product's search index if the language app provides a bulk reindex."""
    try:
        from xiaobao.language.services import search_reindex
    except ImportError:
        return None
    started = time.perf_counter()
    step = [0.0]

    def progress(done: int) -> None:
        if time.perf_counter() - step[0] > 30:
            step[0] = time.perf_counter()
            log(f"  indexed {done:,} ({done / (step[0] - started):,.0f} docs/s)")

    done = search_reindex(batch=1000, workers=workers, progress=progress)
    return done, time.perf_counter() - started


def settle(vendor: str) -> None:
    """Leave the database as a long-running one would be: statistics fresh, nothing pending.

    On PostgreSQL a VACUUM now sets the visibility map (index-only scans) and keeps autovacuum
    from starting in the middle of a benchmark; on SQLite the WAL is checkpointed.
    """
    from django.db import connection

    with connection.cursor() as cur:
        if vendor == "postgresql":
            cur.execute("VACUUM (ANALYZE)")
        else:
            cur.execute("ANALYZE")
            cur.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__)
    parser.add_argument("--cases", type=int, required=True)
    parser.add_argument("--database-url", default=DEFAULT_SQLITE)
    parser.add_argument("--years", type=float, default=3.0)
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument("--batch", type=int, default=2000, help="cases per write batch")
    parser.add_argument("--extra-outlets", type=int, default=7, help="per sub-branch")
    parser.add_argument("--fresh", action="store_true", help="drop and recreate the database")
    parser.add_argument("--no-search-index", action="store_true")
    parser.add_argument(
        "--backlog",
        type=float,
        default=0.068,
        help="share of answered cases left open instead (default: about 10%% open in all)",
    )
    parser.add_argument("--index-workers", type=int, default=1, help="search index processes")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args(argv)

    def log(msg: str) -> None:
        print(msg, flush=True)

    url = args.database_url
    if args.fresh:
        fresh_database(url)
    else:
        ensure_database(url)
    vendor = setup_django(url)
    from django.core.management import call_command
    from django.db import connection

    from xiaobao.lib.clock import now
    from xiaobao.organisation.demo import seed_institution

    phases: dict[str, float] = {}
    t0 = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    phases["migrate"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    seed_institution()
    added = _extra_outlets(args.extra_outlets)
    phases["institution"] = time.perf_counter() - t0
    if vendor == "sqlite":
        with connection.cursor() as cur:
            # Bulk loading only: the benchmarks themselves run with the product's own settings.
            cur.execute("PRAGMA synchronous=OFF")
            cur.execute("PRAGMA cache_size=-200000")
    log(f"{vendor}: generating {args.cases:,} cases over {args.years:g} years (+{added} outlets)")
    gen = Generator(seed=args.seed, end=now(), batch=args.batch, log=log, stuck=args.backlog)
    stats = gen.run(args.cases, args.years)
    phases.update(stats.phases)
    rate = stats.cases / stats.phases["cases"]
    row_rate = stats.total_rows / stats.phases["cases"]
    log(
        f"{stats.cases:,} cases, {stats.total_rows:,} rows in {stats.phases['cases']:.1f} s: "
        f"{rate:,.0f} cases/s, {row_rate:,.0f} rows/s"
    )
    indexed = None
    if not args.no_search_index:
        log("building the search index …")
        indexed = search_index(log, args.index_workers)
        if indexed is None:
            log("  no search index in this version (xiaobao.language.services.search_reindex)")
        else:
            phases["search_index"] = indexed[1]
            log(
                f"  {indexed[0]:,} documents in {indexed[1]:.1f} s ({indexed[0] / indexed[1]:,.0f}/s)"
            )
    t0 = time.perf_counter()
    settle(vendor)
    phases["settle"] = time.perf_counter() - t0
    out = {
        "vendor": vendor,
        "cases": stats.cases,
        "rows": stats.rows,
        "total_rows": stats.total_rows,
        "statuses": stats.statuses,
        "phases": phases,
        "cases_per_s": rate,
        "rows_per_s": row_rate,
        "search_indexed": indexed[0] if indexed else None,
        "search_docs_per_s": indexed[0] / indexed[1] if indexed and indexed[1] else None,
        "peak_rss_mb": peak_rss_mb(),
        "years": args.years,
        "seed": args.seed,
        "backlog": args.backlog,
        "index_workers": args.index_workers,
    }
    log(json.dumps({k: out[k] for k in ("statuses", "peak_rss_mb")}, ensure_ascii=False))
    if args.json:
        args.json.write_text(json.dumps(out, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
