"""A city on one machine: N districts, a Prefect server on PostgreSQL, two process workers.

For each N (default 2, 6, 12): N districts, each the demo share (~1,090 files: ledgers, PDFs,
Word files, broken files) with its unit names varied (``duban.testing.city``) and its own mail
domain; ``duban city deploy``; two ``prefect worker start --type process`` workers (``--limit``
runs each); duban's store on the same PostgreSQL. Then, timed:

1. **rounds** — every district's ``round`` at once (2021-06-18, a Friday: overdue reminders
   and the digest), the first time: every file hashed and inspected;
2. **again** — every round once more, wherever the workers take them: nothing re-read, nothing
   re-sent (the shared store);
3. **city** — the ``city`` flow: every district's check through its deployment, the report.

Printed per N: districts, files, wall time of each phase, the per-district run time (median and
slowest, start to end on the worker), the check's own cost per file, and the reminders sent
(received by a loopback SMTP server) against the expected (each district's reminder plan,
computed apart with a dry run) — duplicates must be 0.

Needs Debian's PostgreSQL (``make test`` installs it). Run:
``.venv/bin/python benchmarks/bench_city.py [N ...] [--limit 4]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from conftest import PostgresServer, _pg_bin  # noqa: E402  (the tests' private PostgreSQL)
from smtp_server import SmtpServer  # noqa: E402

from duban.testing.city import city_yaml, district_campaign, district_share  # noqa: E402
from duban.testing.cluster import PrefectCluster  # noqa: E402

DISTRICTS = [
    "历下区",
    "市中区",
    "槐荫区",
    "天桥区",
    "历城区",
    "长清区",
    "章丘区",
    "济阳区",
    "莱芜区",
    "钢城区",
    "平阴县",
    "商河县",
]
ROUND = "2021-06-18"
DUBAN = Path(sys.executable).with_name("duban")
FINAL = ("COMPLETED", "FAILED", "CRASHED", "CANCELLED")


def api(base: str, path: str, body=None):
    req = urllib.request.Request(
        base + path,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read() or b"null")


PEAK = {"connections": 0}


def connections(url: str) -> int:
    """Connections open on the PostgreSQL server now (Prefect's and duban's)."""
    import sqlalchemy as sa

    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return int(
                conn.execute(
                    sa.text("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'")
                ).scalar()
                or 0
            )
    finally:
        engine.dispose()


def run_all(
    base: str, names: list[tuple[str, str]], params: dict, timeout: float = 3600, pg_url: str | None = None
) -> tuple[float, list[dict]]:
    """Ask for a run of every (flow, deployment) at once; wait for all; (wall seconds, the runs).
    With ``pg_url``, the peak number of connections to PostgreSQL is kept in PEAK."""
    t0 = time.monotonic()
    ids = []
    for flow, name in names:
        dep = api(base, f"/deployments/name/{urllib.parse.quote(flow)}/{urllib.parse.quote(name)}")
        ids.append(api(base, f"/deployments/{dep['id']}/create_flow_run", {"parameters": params})["id"])
    pending = set(ids)
    runs: dict[str, dict] = {}
    while pending and time.monotonic() - t0 < timeout:
        for found in api(base, "/flow_runs/filter", {"flow_runs": {"id": {"any_": list(pending)}}}):
            if (found.get("state") or {}).get("type") in FINAL:
                runs[found["id"]] = found
                pending.discard(found["id"])
        if pg_url:
            PEAK["connections"] = max(PEAK["connections"], connections(pg_url) - 1)  # not this query's own
        time.sleep(0.5)
    if pending:
        raise RuntimeError(f"{len(pending)} runs not finished after {timeout} s")
    return time.monotonic() - t0, [runs[i] for i in ids]


def run_seconds(run: dict) -> float:
    start, end = run.get("start_time"), run.get("end_time")
    if not start or not end:
        return float("nan")
    return (dt.datetime.fromisoformat(end) - dt.datetime.fromisoformat(start)).total_seconds()


def expected_reminders(district, tmp: Path) -> int:
    """What a first round run should send for this district: its reminder plan, dry run, on a scratch store."""
    import os

    from duban.check import run_check
    from duban.flows.common import for_district
    from duban.flows.round import round_close
    from duban.home import Home
    from duban.notifications import send_reminders

    env = district.environment()
    saved = {k: os.environ.get(k) for k in ("DUBAN_DISTRICT", "DUBAN_COORDINATOR_EMAILS", "DUBAN_DATABASE_URL")}
    os.environ["DUBAN_DISTRICT"] = env["DUBAN_DISTRICT"]
    os.environ.pop("DUBAN_DATABASE_URL", None)
    try:
        catalog = for_district(district.catalog)
        home = Home.resolve(tmp / "expected" / district.name)
        day = dt.date.fromisoformat(ROUND)
        result = run_check(catalog, district.evidence, round_close(catalog, day), home)
        outcome = send_reminders(catalog, result, home, today=day, dry_run=True)
        return sum(1 for m in outcome.messages if m.status == "dry-run")
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def database_mb(url: str) -> float:
    import sqlalchemy as sa

    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text("SELECT pg_database_size(current_database())")).scalar() or 0) / 1e6
    finally:
        engine.dispose()


def store_rows(url: str) -> list[dict]:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            q = "SELECT district, files, hashed, inspected, seconds FROM check_runs ORDER BY id"
            return [dict(r._mapping) for r in conn.execute(sa.text(q))]
    finally:
        engine.dispose()


def bench(n: int, pg: PostgresServer, cluster: PrefectCluster, base: Path, limit: int) -> dict:
    from duban.city.spec import load_city

    work = base / f"n{n}"
    smtp = SmtpServer().start()
    workers = []
    try:
        t = time.monotonic()
        entries = []
        for i, name in enumerate(DISTRICTS[:n]):
            domain = f"d{i + 1:02d}.example"
            camp = district_campaign(work / "campaigns" / name, name, domain=domain)
            share = district_share(work / "shares" / name, name, seed=2021 + i)
            entries.append({"name": name, "campaign": str(camp), "evidence": str(share)})
        env = {"DUBAN_SMTP_HOST": "127.0.0.1", "DUBAN_SMTP_PORT": str(smtp.port), "DUBAN_SMTP_SECURITY": "plain"}
        city_file = city_yaml(work / "city" / "city.yaml", entries, name="济南市", home=str(work / "data"), env=env)
        city = load_city(city_file)
        files = sum(1 for d in city.districts for p in Path(d.evidence).rglob("*") if p.is_file())
        built = time.monotonic() - t
        expected = sum(expected_reminders(d, work) for d in city.districts)

        t = time.monotonic()
        out = subprocess.run(
            [str(DUBAN), "city", "deploy", str(city_file)],
            env=cluster.client_env(DUBAN_HOME=str(work / "deployer")),
            capture_output=True,
            text=True,
            timeout=1800,
        )
        if out.returncode != 0:
            raise RuntimeError(out.stdout + out.stderr)
        deployed = time.monotonic() - t

        store = pg.create_database(f"duban_bench_n{n}")
        workers = [cluster.start_worker(f"n{n}-w{i}", "duban", limit=limit, DUBAN_DATABASE_URL=store) for i in (1, 2)]
        rounds = [("round", d.deployment("round")) for d in city.districts]
        PEAK["connections"] = 0
        first_wall, first = run_all(cluster.api_url, rounds, {"round_date": ROUND}, pg_url=store)
        sent_first = len(smtp.messages)
        again_wall, again = run_all(cluster.api_url, rounds, {"round_date": ROUND}, pg_url=store)
        city_wall, [city_run] = run_all(cluster.api_url, [("city", "city")], {"round_date": ROUND}, pg_url=store)
        children = api(
            cluster.api_url, "/flow_runs/filter", {"flow_runs": {"parent_flow_run_id": {"any_": [city_run["id"]]}}}
        )

        keys = Counter(
            (m.kind, m.unit, str(m.message["X-Duban-Day"]), tuple(sorted(m.to + m.cc))) for m in smtp.messages
        )
        rows = store_rows(store)
        cold = rows[:n]
        failed = [r["name"] for r in first + again + [city_run] if r["state"]["type"] != "COMPLETED"]
        per_first = [run_seconds(r) for r in first]
        per_again = [run_seconds(r) for r in again]
        per_child = [run_seconds(r) for r in children]
        return {
            "districts": n,
            "files": files,
            "built_s": built,
            "deploy_s": deployed,
            "rounds_wall_s": first_wall,
            "round_median_s": statistics.median(per_first),
            "round_max_s": max(per_first),
            "again_wall_s": again_wall,
            "again_median_s": statistics.median(per_again),
            "city_wall_s": city_wall,
            "city_district_median_s": statistics.median(per_child) if per_child else float("nan"),
            "check_s_per_file": sum(r["seconds"] for r in cold) / max(1, sum(r["files"] for r in cold)),
            "reread_again": sum(r["inspected"] for r in rows[n:]),
            "sent": len(smtp.messages),
            "sent_first": sent_first,
            "expected": expected,
            "duplicates": sum(c - 1 for c in keys.values() if c > 1),
            "failed": failed,
            "city_state": city_run["state"].get("message", ""),
            "peak_connections": PEAK["connections"],
            "store_mb": database_mb(store),
            "prefect_mb": database_mb(cluster.database_url.replace("+asyncpg", "+psycopg")),
        }
    finally:
        for w in workers:
            w.stop()
        smtp.stop()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("sizes", nargs="*", type=int, default=[2, 6, 12])
    ap.add_argument("--limit", type=int, default=4, help="runs at once per worker")
    args = ap.parse_args()
    bin_dir = _pg_bin()
    if bin_dir is None:
        sys.exit("PostgreSQL is not installed (Debian: apt-get install postgresql)")
    base = Path(tempfile.mkdtemp(prefix="duban-bench-city-"))
    base.chmod(0o755)  # the postgres user reaches its folder inside
    pg = PostgresServer(bin_dir, base / "pg").start()
    cluster = PrefectCluster(base / "cluster", pg.create_database("prefect").replace("+psycopg", "+asyncpg"))
    results = []
    try:
        t = time.monotonic()
        cluster.start_server()
        print(f"Prefect server on PostgreSQL: {time.monotonic() - t:.0f} s to healthy (first start: migrations)")
        for n in args.sizes:
            r = bench(n, pg, cluster, base, args.limit)
            results.append(r)
            print(
                f"N={n:2d}: {r['files']} files | deploy {r['deploy_s']:.0f} s | rounds {r['rounds_wall_s']:.0f} s "
                f"(per district median {r['round_median_s']:.1f} s, max {r['round_max_s']:.1f} s) | again "
                f"{r['again_wall_s']:.0f} s ({r['reread_again']} files re-read) | city {r['city_wall_s']:.0f} s | check {r['check_s_per_file'] * 1000:.2f} ms/file "
                f"| reminders {r['sent']}/{r['expected']} expected, duplicates {r['duplicates']} | failed {r['failed'] or 'none'} "
                f"| again per district {r['again_median_s']:.1f} s, city per district {r['city_district_median_s']:.1f} s "
                f"| PostgreSQL: peak {r['peak_connections']} connections, store {r['store_mb']:.1f} MB, "
                f"Prefect {r['prefect_mb']:.0f} MB (all N so far)",
                flush=True,
            )
    finally:
        left = cluster.stop()
        pg.stop()
    print()
    print(
        f"2 process workers (--limit {args.limit} each), 2 cores, Prefect 3.9.1 and duban's store on one PostgreSQL 15"
    )
    print()
    print(
        "| districts | files | rounds, first (wall) | per district (median / max) | rounds again (wall) "
        "| city flow (wall) | check per file | reminders sent / expected | duplicates | store | peak connections |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r['districts']} | {r['files']} | {r['rounds_wall_s']:.0f} s | {r['round_median_s']:.1f} / {r['round_max_s']:.1f} s "
            f"| {r['again_wall_s']:.0f} s | {r['city_wall_s']:.0f} s | {r['check_s_per_file'] * 1000:.2f} ms "
            f"| {r['sent']} / {r['expected']} | {r['duplicates']} | {r['store_mb']:.0f} MB | {r['peak_connections']} |"
        )
    if left:
        sys.exit(f"processes left behind: {left}")


if __name__ == "__main__":
    main()
