"""Benchmark: what a user feels over HTTP, the app beside a bare Flask app of the same settings.

    .venv/bin/python tests/bench/http_load.py [--cases 10000] [--databases sqlite postgresql]
        [--classes sync gthread] [--workers 2] [--threads 4] [--clients 16] [--seconds 5]
        [--rounds 3] [--budget 1500] [--database-url postgresql+psycopg://root@127.0.0.1:5432/test]

For each database (a scratch SQLite file or PostgreSQL database with --cases synthetic cases,
tests/bench/scale_data.py) and each gunicorn worker class, starts the app (`app:create_app()`)
and the bare app (tests/bench/bare_app.py) side by side on ports 5104 and 5105, signed in
as a supervisor, and alternates them, round by round:

- reads with wrk (`-t2 -c<clients> --latency`; Debian's package `wrk`): `/cases`,
  `/cases/<id>` and the dashboard `/`, against the bare page (user lookup, one SELECT of 50
  rows, a Jinja table);
- writes with one thread per client (each with its own cases and its own two sessions): a gate
  requested by the lead investigator and approved by a supervisor (two transitions), against
  the bare locking SELECT + UPDATE + INSERT + COMMIT. The request's id is read from the
  database between the two POSTs.

Prints req/s, p50 and p99 of each and the ratio app / bare (the median of the rounds), the
errors (non-2xx or 3xx, socket errors), and the largest worker RSS of each server after its
load. Stops when --budget seconds have passed (what is measured by then is printed) and
always stops its servers.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http.client import HTTPConnection, RemoteDisconnected
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[0] = str(ROOT)  # the project's packages, in place of this folder

from sqlalchemy import create_engine, text  # noqa: E402

from models.database import Database  # noqa: E402
from tests.bench import bare_app  # noqa: E402
from tests.bench.scale_data import PASSWORD, fill, scratch_database  # noqa: E402
from tests.webclient import CSRF_META  # noqa: E402
from workflow.log_keys import generate_keys  # noqa: E402

APP_PORT, BARE_PORT = 5104, 5105
GUNICORN = str(Path(sys.executable).parent / "gunicorn")
NO_SETTINGS = Path(__file__).with_name("gunicorn_bare.conf.py")


@dataclass
class Figures:
    """One measurement: rate, latency percentiles (ms) and errors."""

    rate: float
    p50: float
    p99: float
    errors: int = 0


@dataclass
class Row:
    label: str
    app: list[Figures] = field(default_factory=list)
    bare: list[Figures] = field(default_factory=list)


class Budget:
    """The benchmark's time bound."""

    def __init__(self, seconds: float):
        self.deadline = time.monotonic() + seconds

    @property
    def left(self) -> float:
        return self.deadline - time.monotonic()


# --- servers -----------------------------------------------------------------------------------

class Server:
    """A gunicorn master serving `target` on `port`, stopped when the block ends."""

    def __init__(self, target: str, port: int, env: dict, worker_class: str, workers: int, threads: int):
        command = [GUNICORN, "--config", str(NO_SETTINGS), "--chdir", str(ROOT),
                   "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
                   "--worker-class", worker_class, "--log-level", "warning", "--timeout", "60"]
        if worker_class == "gthread":
            command += ["--threads", str(threads)]
        self.port = port
        self.process = subprocess.Popen(command + [target], env=env, cwd=ROOT)

    def __enter__(self) -> Server:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server on port {self.port} exited with {self.process.returncode}")
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/", timeout=2)
                return self
            except urllib.error.HTTPError:
                return self  # it answers
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"the server on port {self.port} did not start within 60 s")

    def __exit__(self, *_exc) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def worker_rss_mib(self) -> float:
        """The largest resident set of this server's workers, in MiB."""
        master = self.process.pid
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        sizes = []
        for pid in children:
            status = Path(f"/proc/{pid}/status").read_text()
            sizes.append(int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) / 1024)
        return max(sizes, default=0.0)


# --- signing in --------------------------------------------------------------------------------

class Client:
    """A keep-alive HTTP client holding one signed-in session's cookie."""

    def __init__(self, port: int):
        self.connection = HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookies: dict[str, str] = {}
        self.csrf = ""

    @property
    def cookie(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    def request(self, method: str, path: str, form: dict | None = None,
                keep_cookies: bool = True) -> tuple[int, str]:
        body = urllib.parse.urlencode(form) if form is not None else None
        headers = {"Cookie": self.cookie} if self.cookie else {}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
        except (BrokenPipeError, ConnectionResetError, RemoteDisconnected):
            # A kept-alive connection the server closed while it was idle: the request never
            # reached it, so it is sent again on a new one.
            self.connection.close()
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
        page = response.read().decode(errors="replace")
        for cookie in (response.headers.get_all("Set-Cookie") or ()) if keep_cookies else ():
            name, _, value = cookie.split(";", 1)[0].partition("=")
            self.cookies[name] = value
        return response.status, page

    def timed_post(self, path: str, form: dict, latencies: list[float], expected: int = 302) -> None:
        """POST a form, adding its time (ms) to `latencies`; raises unless answered `expected`.
        The session stays as signed in: a browser would show the message flashed into the
        session on the page it is sent to, and without it the messages would pile up there."""
        started = time.monotonic()
        status, _ = self.request("POST", path, form, keep_cookies=False)
        latencies.append((time.monotonic() - started) * 1000)
        if status != expected:
            raise RuntimeError(f"POST {path}: HTTP {status}")

    def sign_in(self, username: str) -> Client:
        """Sign in to the app through its form, as a browser would."""
        _, page = self.request("GET", "/login")
        self.csrf = CSRF_META.search(page).group(1)
        status, _ = self.request("POST", "/login", {"csrf_token": self.csrf, "username": username,
                                                     "password": PASSWORD})
        if status != 302:
            raise RuntimeError(f"{username} could not sign in (HTTP {status})")
        _, page = self.request("GET", "/account")
        self.csrf = CSRF_META.search(page).group(1)
        return self

    def sign_in_bare(self, username: str) -> Client:
        self.request("GET", f"/sign-in?user={username}")
        return self


# --- load ---------------------------------------------------------------------------------------

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(port: int, path: str, cookie: str, clients: int, seconds: int) -> Figures:
    """Reads of `path` by wrk for `seconds`."""
    output = subprocess.run(
        ["wrk", "-t2", f"-c{clients}", f"-d{seconds}s", "--latency", "-H", f"Cookie: {cookie}",
         f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True, timeout=seconds + 60).stdout

    def latency(share: str) -> float:
        value, unit = re.search(rf"^\s+{share}%\s+([\d.]+)(us|ms|s)\s*$", output, re.M).groups()
        return float(value) * _UNITS[unit]
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", output))
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    errors += sum(int(n) for n in socket.groups()) if socket else 0
    return Figures(float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
                   latency("50"), latency("99"), errors)


def _run_threads(work, clients: int, seconds: float) -> Figures:
    """Run `work(index, deadline, latencies)` in `clients` threads; rate of operations it counts."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    counts, errors = [0] * clients, [0] * clients
    deadline = time.monotonic() + seconds

    def run(index: int) -> None:
        try:
            counts[index] = work(index, deadline, latencies[index])
        except Exception as error:  # noqa: BLE001 - a failed client is counted, the others go on
            errors[index] += 1
            print(f"    client {index}: {error}", file=sys.stderr)
    started = time.monotonic()
    threads = [threading.Thread(target=run, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every = sorted(ms for per_client in latencies for ms in per_client) or [0.0]
    return Figures(sum(counts) / (time.monotonic() - started), every[len(every) // 2],
                   every[min(len(every) - 1, int(len(every) * 0.99))], sum(errors))


def gate_writes(port: int, clients: int, seconds: float, url: str, slices: list) -> Figures:
    """Transitions per second: each client requests and approves gates on its own cases (an
    iterator of case ids each, which later rounds go on with)."""
    engine = create_engine(url, pool_size=clients, max_overflow=0)
    pending = text("SELECT id FROM gate_requests WHERE case_id = :case_id AND decision = 'pending'")
    sessions = [(Client(port).sign_in("iris"), Client(port).sign_in("sue")) for _ in range(clients)]

    def work(index: int, deadline: float, latencies: list[float]) -> int:
        lead, supervisor = sessions[index]
        moved = 0
        for case_id in slices[index]:
            if time.monotonic() >= deadline:
                break
            lead.timed_post(f"/cases/{case_id}/gate", {"csrf_token": lead.csrf, "version": "1",
                                                        "target": "investigation"}, latencies)
            with engine.connect() as connection:
                request_id = connection.execute(pending, {"case_id": case_id}).scalar_one()
            supervisor.timed_post(f"/reviews/{request_id}/approve", {
                "csrf_token": supervisor.csrf, "version": "2", "back": "reviews"}, latencies)
            moved += 2
        else:
            raise RuntimeError("ran out of cases ready for the gate: raise --ready")
        return moved
    try:
        return _run_threads(work, clients, seconds)
    finally:
        engine.dispose()


def bare_writes(port: int, clients: int, seconds: float) -> Figures:
    """Locking writes per second: each client its own counter."""
    def work(index: int, deadline: float, latencies: list[float]) -> int:
        client, done = Client(port), 0
        while time.monotonic() < deadline:
            client.timed_post(f"/write?id={index + 1}", {}, latencies, expected=204)
            done += 1
        return done
    return _run_threads(work, clients, seconds)


# --- the run ----------------------------------------------------------------------------------

def measure(kind: str, url: str, args, budget: Budget, ready: list[int]) -> dict:
    """Every row of one database, for each worker class: {class: ([Row], rss)}."""
    evidence = tempfile.mkdtemp(prefix="bench-evidence-")
    key = Path(evidence) / "audit-signing.pem"  # checkpoints are signed as in production
    key.write_bytes(generate_keys()[0])
    env = dict(os.environ, DATABASE_URL=url, SECRET_KEY="b" * 48, RESTRAINT_ENV="development",
               AUDIT_SIGNING_KEY=str(key), EVIDENCE_DIR=evidence, PYTHONPATH=str(ROOT))
    results = {}
    per_class = len(ready) // len(args.classes)
    for number, worker_class in enumerate(args.classes):
        if budget.left < 4 * args.seconds:
            print(f"  budget spent: {kind} {worker_class} not measured")
            break
        # Each worker class gets cases of its own; each client a slice of those.
        mine = ready[number * per_class:(number + 1) * per_class]
        slices = [iter(mine[n::args.clients]) for n in range(args.clients)]
        rows = [Row(f"{label} ({path})") for label, path in READS] + [Row("request+approve (transitions)")]
        with Server("app:create_app()", APP_PORT, env, worker_class, args.workers, args.threads) as app, \
                Server("tests.bench.bare_app:create()", BARE_PORT, env, worker_class, args.workers,
                       args.threads) as bare:
            app_cookie = Client(APP_PORT).sign_in("sue").cookie
            bare_cookie = Client(BARE_PORT).sign_in_bare("sue").cookie
            for _ in range(args.rounds):
                for row, (_, path) in zip(rows, READS):
                    if budget.left < 3 * args.seconds:
                        break
                    row.bare.append(wrk(BARE_PORT, "/page", bare_cookie, args.clients, args.seconds))
                    row.app.append(wrk(APP_PORT, path.format(middle=args.cases // 2), app_cookie,
                                       args.clients, args.seconds))
                if budget.left < 3 * args.seconds:
                    break
                rows[-1].bare.append(bare_writes(BARE_PORT, args.clients, args.seconds))
                rows[-1].app.append(gate_writes(APP_PORT, args.clients, args.seconds, url, slices))
            results[worker_class] = (rows, app.worker_rss_mib(), bare.worker_rss_mib())
        print_class(kind, worker_class, args, *results[worker_class])
    shutil.rmtree(evidence, ignore_errors=True)
    return results


READS = (("case list", "/cases"), ("case page", "/cases/{middle}"), ("dashboard", "/"))


def _median(figures: list[Figures], name: str) -> float:
    return statistics.median(getattr(f, name) for f in figures)


def print_class(kind: str, worker_class: str, args, rows: list[Row], app_rss: float, bare_rss: float) -> None:
    threads = f" × {args.threads} threads" if worker_class == "gthread" else ""
    print(f"\n{kind}, {args.cases:,} cases, gunicorn {worker_class} {args.workers} workers{threads}, "
          f"{args.clients} clients, {args.seconds} s a run, median of {len(rows[0].app)} rounds")
    print("| what | app /s | p50 ms | p99 ms | bare /s | p50 ms | p99 ms | app / bare | errors |")
    print("|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        if not row.app:
            continue
        app_rate, bare_rate = _median(row.app, "rate"), _median(row.bare, "rate")
        print(f"| {row.label} | {app_rate:,.0f} | {_median(row.app, 'p50'):.1f} | "
              f"{_median(row.app, 'p99'):.1f} | {bare_rate:,.0f} | {_median(row.bare, 'p50'):.1f} | "
              f"{_median(row.bare, 'p99'):.1f} | {app_rate / bare_rate:.2f}× | "
              f"{sum(f.errors for f in row.app)} / {sum(f.errors for f in row.bare)} |")
    print(f"worker RSS after the load: app {app_rss:.0f} MiB, bare {bare_rss:.0f} MiB", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--classes", nargs="+", default=["sync", "gthread"])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--ready", type=int, default=12_000,
                        help="cases made ready for the gate (each takes one request+approve)")
    parser.add_argument("--budget", type=float, default=1500, help="seconds for the whole run")
    parser.add_argument("--database-url", default="postgresql+psycopg://root@127.0.0.1:5432/test")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: `apt-get install wrk` (Debian), then run again.")
    budget = Budget(args.budget)
    with tempfile.TemporaryDirectory() as folder:
        for kind in args.databases:
            if budget.left < 60:
                print(f"budget spent: {kind} not measured")
                continue
            with scratch_database(kind, folder, args.database_url) as url:
                database = Database(url)
                started = time.monotonic()
                ready = fill(database, args.cases, ready=args.ready)
                bare_app.prepare(database.engine, args.clients)
                database.dispose()
                print(f"{kind}: filled {args.cases:,} cases (and {args.ready:,} ready for the gate) "
                      f"in {time.monotonic() - started:.0f} s", flush=True)
                measure(kind, url, args, budget, ready)
    print(f"\nmachine: {os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
