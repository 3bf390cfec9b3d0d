"""Walk: the Khan Shaykhun case (4 April 2017, sarin) from report to closed, in a real browser,
counting the page actions each stage takes.

    .venv/bin/python tests/bench/walk_khan_shaykhun.py [--port 5103] [--show]

Sets up a fresh instance as `make run` does (a scratch SQLite database and evidence folder,
the demo accounts, the demonstration cases and the imported incidents), serves it on --port,
and drives /usr/bin/chromium (or `CHROMIUM`) with Playwright in two browser contexts: a desk
where the investigator, the analyst and the legal officer take turns (each signs in and out),
and the supervisor's own. Everyone works as a new user would: from the links, buttons and
notifications the pages offer, never by typing a URL after signing in. The supervisor rejects
the first request with a reason; the investigator reads it from the notification, fixes the
case and asks again.

An action is a navigation (a URL typed, a reload), a click or a form fill (a text field, a
choice, a file, a tick). Prints the actions per stage, each split into those three, and the
sign-ins and sign-outs among them. Not part of the test suite.
"""
from __future__ import annotations

import argparse
import collections
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FLASK = [sys.executable, "-m", "flask", "--app", "app"]
STAGES = ("reported", "investigation", "attribution", "legal_consequence", "implementation",
          "evaluation")


class Tally:
    """Page actions per stage, by kind."""

    def __init__(self):
        self.stage = "reported"
        self.counts: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)

    def add(self, kind: str) -> None:
        self.counts[self.stage][kind] += 1


class Desk:
    """One browser context and whoever is signed in at it; every action is tallied."""

    def __init__(self, context, tally: Tally, base: str, passwords: dict[str, str]):
        self.page = context.new_page()
        self.tally, self.base, self.passwords = tally, base, passwords
        self.user = None

    # The actions a person takes.
    def go(self, path: str) -> None:
        self.tally.add("navigations")
        self.page.goto(self.base + path)

    def reload(self) -> None:
        self.tally.add("navigations")
        self.page.reload()

    def click(self, locator) -> None:
        self.tally.add("clicks")
        locator.click()
        self.page.wait_for_load_state()

    def fill(self, locator, value: str) -> None:
        self.tally.add("fills")
        locator.fill(value)

    def select(self, locator, value: str | None = None, label: str | None = None) -> None:
        self.tally.add("fills")
        locator.select_option(value=value, label=label)

    def tick(self, locator) -> None:
        self.tally.add("fills")
        locator.check()

    def upload(self, locator, path: Path) -> None:
        self.tally.add("fills")
        locator.set_input_files(str(path))

    # Shorthands.
    def link(self, name: str, exact: bool = False, within=None):
        return (within or self.page).get_by_role("link", name=name, exact=exact)

    def button(self, name: str, exact: bool = False, within=None):
        return (within or self.page).get_by_role("button", name=name, exact=exact)

    def label(self, name: str, exact: bool = False, within=None):
        return (within or self.page).get_by_label(name, exact=exact)

    def text(self) -> str:
        return self.page.locator("main").inner_text() if self.page.locator("main").count() else self.page.inner_text("body")

    def sign_in(self, username: str) -> None:
        if self.user:
            self.sign_out()
        self.tally.add("sign-ins")
        self.go("/login")
        self.fill(self.label("Username"), username)
        self.fill(self.label("Password"), self.passwords[username])
        self.click(self.button("Sign in"))
        self.page.wait_for_url("**/")
        self.user = username

    def sign_out(self) -> None:
        self.tally.add("sign-ins")
        self.click(self.button("Sign out"))
        self.page.wait_for_url("**/login")
        self.user = None

    def expect(self, text: str) -> None:
        """Stop the walk, showing the page, when it does not say `text`."""
        try:
            self.page.get_by_text(text, exact=False).first.wait_for(state="visible", timeout=5000)
        except Exception:
            raise SystemExit(f"{self.user} at {self.page.url}: the page does not say {text!r}:\n"
                             + self.text()[:4000]) from None

    def open_case(self, reference: str) -> None:
        """From anywhere: Cases, then the case by its reference."""
        self.click(self.link("Cases", exact=True))
        self.click(self.page.get_by_role("link", name=reference).first)

    def open_notification(self, kind: str, contains: str = "") -> str:
        """The bar's Notifications, then Open on the newest unread one of `kind`; its text."""
        self.click(self.page.get_by_test_id("notifications-link"))
        notice = self.page.locator(f"[data-kind={kind}][data-read=no]")
        if contains:
            notice = notice.filter(has_text=contains)
        notice = notice.first
        said = " ".join(notice.inner_text().split())
        self.click(notice.get_by_role("link", name="Open"))
        return said


def serve(port: int, folder: Path) -> tuple[subprocess.Popen, dict[str, str]]:
    """A fresh instance as `make run` sets it up, served on `port`; the server and passwords."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{folder / 'restraint.db'}",
           "EVIDENCE_DIR": str(folder / "evidence"), "RESTRAINT_ENV": "development"}

    def flask(*args: str) -> str:
        return subprocess.run([*FLASK, *args], cwd=ROOT, env=env, check=True, text=True,
                              capture_output=True).stdout

    flask("db", "upgrade")
    passwords = dict(re.findall(r"^\s+(\w+)\s+(\S+)$", flask("users", "demo"), re.M))
    flask("demo", "story")
    flask("incidents", "import", "data/public_incidents.csv", "--as", "investigator")
    server = subprocess.Popen([*FLASK, "run", "--host", "127.0.0.1", "--port", str(port)],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=1)
            break
        except OSError:
            time.sleep(0.2)
    return server, passwords


def files(folder: Path) -> dict[str, Path]:
    """The walk's evidence files: real files written for it."""
    made = {}
    made["report"] = folder / "idlib-health-directorate-report-2017-04-04.txt"
    made["report"].write_text(
        "Idlib Health Directorate, 4 April 2017, 11:00.\n"
        "Between 06:30 and 06:45 an aircraft struck the northern part of Khan Shaykhun.\n"
        "Casualties arriving at the hospitals of Khan Shaykhun, Maarrat al-Nu'man and Idlib show\n"
        "miosis, foaming at the mouth, convulsions and respiratory arrest. 70 dead so far.\n",
        encoding="utf-8")
    made["sample"] = folder / "soil-sample-crater-khan-shaykhun.jpg"
    # A real (tiny) JPEG: SOI, APP0 JFIF header, EOI.
    made["sample"].write_bytes(bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffd9"))
    made["testimony"] = folder / "witness-statement-w-017.txt"
    made["testimony"].write_text(
        "Statement of witness W-017, a nurse, recorded 12 April 2017 in Reyhanli.\n"
        "She saw the aircraft at about 06:40 and treated more than 40 patients with pinpoint pupils.\n",
        encoding="utf-8")
    return made


def walk(base: str, passwords: dict[str, str], chromium: str, show: bool, folder: Path) -> Tally:
    """The walk itself; returns the tally."""
    from playwright.sync_api import sync_playwright
    evidence = files(folder)
    tally = Tally()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=not show)
        desk = Desk(browser.new_context(), tally, base, passwords)
        review = Desk(browser.new_context(), tally, base, passwords)
        try:
            reference = _walk(desk, review, tally, evidence)
        finally:
            browser.close()
    print(f"walked {reference} from report to closed")
    return tally


def _walk(desk: Desk, review: Desk, tally: Tally, evidence: dict[str, Path]) -> str:
    """Report to closed; returns the case's reference."""
    reference = _reported(desk, review, evidence)
    tally.stage = "investigation"
    return reference


def _reported(desk: Desk, review: Desk, evidence: dict[str, Path]) -> str:
    """The investigator opens the case and adds the first report; the supervisor names the lead,
    rejects the first request with a reason, approves the second."""
    desk.sign_in("investigator")
    desk.click(desk.link("Cases", exact=True))
    desk.click(desk.link("Open a case"))
    desk.fill(desk.label("Title"), "Sarin attack on Khan Shaykhun")
    desk.select(desk.label("Suspected agent"), "sarin")
    desk.fill(desk.label("Date of the incident"), "2017-04-04")
    desk.fill(desk.label("Country"), "Syria")
    desk.fill(desk.label("Place", exact=True), "Khan Shaykhun")
    desk.fill(desk.label("Delivery means"), "aerial bomb")
    desk.fill(desk.label("Deaths"), "89")
    desk.click(desk.button("Open the case"))
    # The imported record of the same attack is listed: a new investigator opens the case
    # all the same (the import is history, not a case to work on).
    desk.expect("This incident may be a case already")
    desk.tick(desk.label("None of the cases listed is this incident"))
    desk.click(desk.button("Open the case"))
    desk.page.wait_for_url("**/cases/*")
    reference = desk.page.locator("h1 .text-secondary").inner_text().strip()

    desk.click(desk.link("Add evidence"))
    desk.select(desk.label("Kind"), "document")
    desk.fill(desk.label("Title", exact=True), "Idlib Health Directorate report of 4 April 2017")
    desk.fill(desk.label("Source", exact=True), "Idlib Health Directorate")
    desk.select(desk.label("Reliability of the source"), "B")
    desk.select(desk.label("Credibility of the information"), "2")
    desk.upload(desk.label("File (optional)"), evidence["report"])
    desk.click(desk.button("Add evidence"))
    desk.page.wait_for_url("**/evidence/*")
    desk.expect(evidence["report"].name)
    desk.click(desk.link(reference))
    gate = desk.page.get_by_test_id("gate-investigation")
    desk.expect("no lead investigator on the team")
    # Nobody names the lead unless asked: a note to the supervisors.
    desk.fill(desk.label("Note", exact=True), "@supervisor please name me lead investigator.")
    desk.click(desk.button("Add the note"))

    review.sign_in("supervisor")
    review.open_notification("mentioned", reference)
    review.click(review.link("Team", exact=True))
    review.select(review.label("Person and case role"), label=_option(review, "Person and case role", "investigator", "lead investigator"))
    review.click(review.button("Save"))
    review.expect("Team updated")

    desk.open_notification("team_added", reference)
    gate = desk.page.get_by_test_id("gate-investigation")
    desk.click(desk.button("Request gate to Investigation", within=gate))
    desk.expect("under review")

    review.open_notification("gate_requested", reference)
    review.fill(review.label("Reason (required to reject)"),
                "Give the place as the town and its governorate (Khan Shaykhun, Idlib) and its "
                "coordinates, so that the analysts can match it with the flight data.")
    review.click(review.button("Reject"))
    review.expect("Rejected")

    said = desk.open_notification("gate_decided", reference)
    assert "rejected" in said, said
    reason = desk.page.get_by_test_id("rejection-reason").inner_text()
    assert "Khan Shaykhun, Idlib" in reason, reason
    desk.click(desk.link("Edit details"))
    desk.fill(desk.label("Place", exact=True), "Khan Shaykhun, Idlib")
    desk.fill(desk.label("Latitude"), "35.4403")
    desk.fill(desk.label("Longitude"), "36.6514")
    desk.click(desk.button("Save"))
    desk.expect("Case saved")
    gate = desk.page.get_by_test_id("gate-investigation")
    desk.click(desk.button("Request gate to Investigation", within=gate))
    desk.expect("under review")

    review.open_notification("gate_requested", reference)
    review.click(review.button("Approve"))
    review.expect("Approved")
    return reference


def _option(desk: Desk, label: str, username: str, role: str) -> str:
    """The label of the option of `label` naming `username` as `role` (what a person reads)."""
    options = desk.label(label).locator("option").all_inner_texts()
    found = [o for o in options if f"({username})" in o and o.endswith(f"as {role}")]
    if not found:
        raise SystemExit(f"no option {username} as {role} in {options}")
    return found[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=5103)
    parser.add_argument("--show", action="store_true", help="a visible browser window")
    args = parser.parse_args()
    chromium = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    with tempfile.TemporaryDirectory(prefix="walk-") as scratch:
        folder = Path(scratch)
        server, passwords = serve(args.port, folder)
        try:
            tally = walk(f"http://127.0.0.1:{args.port}", passwords, chromium, args.show, folder)
        finally:
            server.terminate()
            server.wait(timeout=10)
    print(f"{'stage':<20}{'actions':>8}{'navigations':>13}{'clicks':>8}{'fills':>7}{'sign-ins/outs':>15}")
    total = collections.Counter()
    for stage in STAGES:
        c = tally.counts[stage]
        actions = c["navigations"] + c["clicks"] + c["fills"]
        total.update(c)
        print(f"{stage:<20}{actions:>8}{c['navigations']:>13}{c['clicks']:>8}{c['fills']:>7}{c['sign-ins']:>15}")
    actions = total["navigations"] + total["clicks"] + total["fills"]
    print(f"{'all':<20}{actions:>8}{total['navigations']:>13}{total['clicks']:>8}{total['fills']:>7}{total['sign-ins']:>15}")


if __name__ == "__main__":
    main()
