"""Walk: the Khan Shaykhun case (4 April 2017, sarin) from report to closed, in a real browser,
counting the page actions each stage takes.

    .venv/bin/python tests/bench/walk_khan_shaykhun.py [--port 5103] [--show] [--trace] [--screenshots DIR]

Sets up a fresh instance as `make run` does (a scratch SQLite database and evidence folder,
the demo accounts, the demonstration cases and the imported incidents), serves it on --port,
and drives /usr/bin/chromium (or `CHROMIUM`) with Playwright in two browser contexts: a desk
where the investigator, the analyst and the legal officer take turns (each signs in and out),
and the supervisor's own. Everyone works as a new user would: from the links, buttons and
notifications the pages offer, never by typing a URL after signing in. The supervisor rejects
the first request with a reason; the investigator reads it from the notification, fixes the
case and asks again.

An action is a navigation (a URL typed, a reload), a click or a form fill (a text field, a
choice, a file, a tick); typing what a field already holds is none. Prints the actions per
stage, each split into those three, with the sign-ins and sign-outs among them and the reloads
made only to see whether something arrived (the bar's unread count is as of a page's loading).
Not part of the test suite.
"""
from __future__ import annotations

import argparse
import collections
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
        self.trace = False
        self.shots: Path | None = None

    # The actions a person takes.
    def go(self, path: str) -> None:
        self.tally.add("navigations")
        self.page.goto(self.base + path)

    def reload(self) -> None:
        self.tally.add("navigations")
        self.page.reload()

    def click(self, locator) -> None:
        self.tally.add("clicks")
        what = " ".join(locator.inner_text().split())[:40] if self.trace else ""
        locator.click()
        self.page.wait_for_load_state()
        if self.shots:
            self.shots.mkdir(parents=True, exist_ok=True)
            count = sum(sum(c[k] for k in ("navigations", "clicks", "fills")) for c in self.tally.counts.values())
            self.page.screenshot(path=str(self.shots / f"{count:03d}-{self.tally.stage}-{self.user}.png"),
                                 full_page=True)
        if self.trace:
            alerts = " | ".join(" ".join(a.split()) for a in self.page.locator("[role=alert]").all_inner_texts())
            print(f"  {self.tally.stage:<18} {self.user or '-':<14} {what!r:<44} -> "
                  f"{self.page.url.split('/', 3)[-1]:<28} {alerts[:200]}")

    # A person does not type again what a form already holds: such a fill is no action.
    def fill(self, locator, value: str) -> None:
        if locator.input_value() == value:
            return
        self.tally.add("fills")
        locator.fill(value)

    def select(self, locator, value: str | None = None, label: str | None = None) -> None:
        if value is not None and locator.input_value() == value:
            return
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
        """The bar's Notifications, then Open on the newest unread one of `kind`; its text.
        The bar's count is as of the page's loading: with none shown, the person reloads first,
        as nothing else tells them something arrived."""
        if not self.page.get_by_test_id("unread-count").count():
            self.tally.add("reloads for news")
            self.reload()
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
    flask("registers", "seed")  # the names the incidents give map to the registers
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


def walk(base: str, passwords: dict[str, str], chromium: str, show: bool, folder: Path,
         trace: bool = False, shots: Path | None = None) -> Tally:
    """The walk itself; returns the tally."""
    from playwright.sync_api import sync_playwright
    evidence = files(folder)
    tally = Tally()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=not show)
        desk = Desk(browser.new_context(), tally, base, passwords)
        review = Desk(browser.new_context(), tally, base, passwords)
        desk.trace = review.trace = trace
        desk.shots = review.shots = shots
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
    _investigation(desk, review, reference, evidence)
    tally.stage = "attribution"
    _attribution(desk, review, reference)
    tally.stage = "legal_consequence"
    _legal_consequence(desk, review, reference)
    tally.stage = "implementation"
    _implementation(desk, review, reference)
    tally.stage = "evaluation"
    _evaluation(desk, review, reference)
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


def _investigation(desk: Desk, review: Desk, reference: str, evidence: dict[str, Path]) -> None:
    """The investigator adds a sample (custody, two laboratories) and a witness statement,
    records the use determination and a deterrence message; the supervisor adds an analyst
    (the next stage's queue) and approves."""
    said = desk.open_notification("gate_decided", reference)
    assert "approved" in said, said
    sample = _add_evidence(desk, "environmental_sample", "Soil from the crater, northern Khan Shaykhun",
                           evidence["sample"], "A", "2", collected_at="2017-04-04T14:00",
                           collected_by="Civil defence team")
    custody = desk.page.locator("form", has=desk.button("Record custody event"))
    for action, when, giver, taker in (("collected", "2017-04-04T14:00", "", "Civil defence team"),
                                       ("transferred", "2017-04-06T09:00", "Civil defence team",
                                        "OPCW Fact-Finding Mission")):
        desk.select(desk.label("Action", within=custody), action)
        desk.fill(desk.label("When (UTC)", within=custody), when)
        desk.fill(desk.label("From", exact=True, within=custody), giver)
        desk.fill(desk.label("To", exact=True, within=custody), taker)
        desk.click(desk.button("Record custody event"))
        custody = desk.page.locator("form", has=desk.button("Record custody event"))
    desk.expect("unbroken")
    for lab in ("Laboratory A (OPCW-designated)", "Laboratory B (OPCW-designated)"):
        analysis = desk.page.locator("form", has=desk.button("Record analysis"))
        desk.fill(desk.label("Laboratory", exact=True, within=analysis), lab)
        desk.tick(desk.label("OPCW-designated laboratory", within=analysis))
        desk.fill(desk.label("Result", within=analysis), "Sarin, its degradation products and hexamine found.")
        desk.click(desk.button("Record analysis"))
        desk.expect(lab)
    desk.click(desk.link(reference))
    _add_evidence(desk, "witness_interview", "Statement of witness W-017, a nurse", evidence["testimony"],
                  "C", "2", collected_at="2017-04-12T10:00", collected_by="OPCW Fact-Finding Mission")
    custody = desk.page.locator("form", has=desk.button("Record custody event"))
    desk.select(desk.label("Action", within=custody), "collected")
    desk.fill(desk.label("When (UTC)", within=custody), "2017-04-12T10:00")
    desk.fill(desk.label("To", exact=True, within=custody), "OPCW Fact-Finding Mission")
    desk.click(desk.button("Record custody event"))
    desk.expect("unbroken")
    desk.click(desk.link(reference))

    desk.click(desk.link("Record use determination"))
    desk.select(desk.label("Conclusion"), "confirmed")
    desk.select(desk.label("Agent (use determination)"), "sarin")
    desk.fill(desk.label("Rationale"), "Two designated laboratories found sarin in the crater's soil; the "
              "nurse's account of miosis and convulsions matches exposure to a nerve agent.")
    desk.tick(desk.label(re.compile("Soil from the crater")))
    desk.tick(desk.label(re.compile("Statement of witness W-017")))
    desk.click(desk.button("Record finding"))
    _record_message(desk, "2017-04-07", "OPCW Director-General", "States Parties",
                    "The use of chemical weapons anywhere, by anyone, is a grave breach of international law.")
    desk.expect("no analyst on the team")
    desk.fill(desk.label("Note", exact=True), "@supervisor the attribution needs an analyst on the team.")
    desk.click(desk.button("Add the note"))

    review.open_notification("mentioned", reference)
    staffing = review.page.get_by_test_id("staffing-analyst")
    review.click(review.button("Add as analyst", within=staffing))

    desk.reload()  # nothing tells the investigator the analyst joined
    gate = desk.page.get_by_test_id("gate-attribution")
    desk.click(desk.button("Request gate to Attribution", within=gate))
    desk.expect("under review")
    review.open_notification("gate_requested", reference)
    review.click(review.button("Approve"))
    review.expect("Approved")


def _attribution(desk: Desk, review: Desk, reference: str) -> None:
    """The analyst records the attribution and a message; the supervisor adds a legal officer
    and approves."""
    desk.sign_in("analyst")
    desk.open_notification("team_added", reference)
    desk.click(desk.link("Record attribution"))
    desk.select(desk.label("Conclusion"), "attributed")
    desk.fill(desk.label("Responsible party (attribution)"), "Syrian Arab Republic")
    desk.select(desk.label("Type of party"), "state")
    desk.select(desk.label("Standard of proof"), "reasonable_grounds")
    desk.fill(desk.label("Rationale"), "The sarin bears the markers of the Syrian stockpile (hexamine, "
              "PF5); radar tracks an Su-22 from Shayrat over the town at the time of the impact.")
    desk.tick(desk.label(re.compile("Soil from the crater")))
    desk.tick(desk.label(re.compile("Statement of witness W-017")))
    desk.click(desk.button("Record finding"))
    _record_message(desk, "2017-10-26", "OPCW-UN Joint Investigative Mechanism", "UN Security Council",
                    "Those responsible for the use of sarin at Khan Shaykhun are named and will be held to account.")
    desk.expect("no legal officer on the team")
    desk.fill(desk.label("Note", exact=True), "@supervisor the legal consequence needs a legal officer.")
    desk.click(desk.button("Add the note"))

    review.open_notification("mentioned", reference)
    staffing = review.page.get_by_test_id("staffing-legal_officer")
    review.click(review.button("Add as legal officer", within=staffing))

    desk.reload()
    gate = desk.page.get_by_test_id("gate-legal_consequence")
    desk.click(desk.button("Request gate to Legal consequence", within=gate))
    desk.expect("under review")
    review.open_notification("gate_requested", reference)
    review.click(review.button("Approve"))
    review.expect("Approved")


def _legal_consequence(desk: Desk, review: Desk, reference: str) -> None:
    """The legal officer picks two responses from the menu and adopts them (one binding), with
    a message; the supervisor approves."""
    desk.sign_in("legal_officer")
    desk.open_notification("team_added", reference)
    for cell, pick, actor, reason, binding in (
            ("Add a international legal response", "OPCW decision suspending",
             "OPCW Conference of the States Parties",
             "Decision C-25/DEC.9 adopted by vote on 21 April 2021.", True),
            ("Add a national economic response", None, "US Treasury (OFAC)",
             "271 employees of the Scientific Studies and Research Centre designated on 24 April 2017.",
             False)):
        desk.click(desk.link(cell))
        if pick:
            desk.click(desk.page.get_by_test_id("catalog").get_by_role("link", name=re.compile(pick)))
        else:
            desk.fill(desk.label("What is done"), "Designation of the staff of the chemical research centre.")
        desk.fill(desk.label("Who acts (state, organisation, court)"), actor)
        desk.click(desk.button("Propose response"))
        desk.click(desk.link(actor))
        status = desk.page.locator("form", has=desk.button("Save status"))
        desk.select(desk.label("New status", within=status), "adopted")
        desk.fill(desk.label("Reason", within=status), reason)
        if binding:
            desk.tick(desk.label("Legally binding", within=status))
        desk.click(desk.button("Save status"))
        assert desk.page.get_by_test_id("response-status").inner_text() == "adopted"
        desk.click(desk.link(reference))
    _record_message(desk, "2021-04-21", "OPCW Conference of the States Parties", "Syrian Arab Republic",
                    "Rights and privileges are suspended until the declaration is complete.")
    gate = desk.page.get_by_test_id("gate-implementation")
    desk.click(desk.button("Request gate to Implementation", within=gate))
    desk.expect("under review")
    review.open_notification("gate_requested", reference)
    review.click(review.button("Approve"))
    review.expect("Approved")


def _implementation(desk: Desk, review: Desk, reference: str) -> None:
    """The legal officer sets a milestone on the adopted responses, completes the tracking task,
    records a message; the supervisor approves."""
    desk.open_notification("gate_decided", reference)
    for actor, milestone in (("OPCW Conference of the States Parties", "Syria's declaration judged complete"),
                             ("US Treasury (OFAC)", "Designations reviewed")):
        desk.click(desk.link(actor))
        form = desk.page.locator("form", has=desk.button("Add milestone"))
        desk.fill(desk.label("Milestone", exact=True, within=form), milestone)
        desk.fill(desk.label("Due on", within=form), "2030-04-21")
        desk.click(desk.button("Add milestone"))
        desk.expect(milestone)
        desk.click(desk.link(reference))
    task = desk.page.locator("[data-task]", has_text="Track each adopted response")
    desk.click(desk.button("Claim", within=task))
    task = desk.page.locator("[data-task]", has_text="Track each adopted response")
    desk.fill(task.get_by_label(re.compile("Note on completing")), "Milestones set on both responses.")
    desk.click(desk.button("Complete", within=task))
    _record_message(desk, "2023-04-04", "EU High Representative", "Syrian Arab Republic",
                    "The sanctions stay until those responsible for Khan Shaykhun are brought to justice.")
    gate = desk.page.get_by_test_id("gate-evaluation")
    desk.click(desk.button("Request gate to Evaluation", within=gate))
    desk.expect("under review")
    review.open_notification("gate_requested", reference)
    review.click(review.button("Approve"))
    review.expect("Approved")


def _evaluation(desk: Desk, review: Desk, reference: str) -> None:
    """The analyst evaluates (repeat use: yes) and asks to close; the supervisor confirms the
    closing against the evaluation, with a reason."""
    desk.sign_in("analyst")
    desk.open_notification("task_queued", reference)
    desk.click(desk.link("Evaluate"))
    for factor, rating, why in (("Taboo against chemical weapons", "weakened", "Why (taboo)"),
                                ("Norms and institutions", "unchanged", "Why (norms)"),
                                ("Lack of military benefit", "unchanged", "Why (lack of benefit)"),
                                ("Deterrence", "weakened", "Why (deterrence)")):
        desk.select(desk.label(factor, exact=True), rating)
        desk.fill(desk.label(why), "Chlorine was used again at Douma in April 2018.")
    for pressure in ("repeated violation", "perceived utility", "ease of access", "diminished attention"):
        desk.select(desk.label(pressure.capitalize(), exact=True), "rising")
        desk.fill(desk.label(f"Why ({pressure})"), "Chlorine was used again at Douma in April 2018.")
    desk.select(desk.label("Did the perpetrator use chemical weapons again?"), "yes")
    desk.select(desk.label("Recommendation"), "close")
    desk.fill(desk.label("Outcome, if closing"), "responses exhausted")
    desk.click(desk.button("Record evaluation"))
    _record_message(desk, "2024-04-04", "OPCW Director-General", "States Parties",
                    "Seven years on, impunity for Khan Shaykhun must not stand.")
    gate = desk.page.get_by_test_id("gate-closed")
    desk.click(desk.button("Request gate to Closed", within=gate))
    desk.expect("under review")
    review.open_notification("gate_requested", reference)
    review.fill(review.label("Reason (required to reject)"),
                "Every response open to the menu has been taken; the repeat use is a new case.")
    review.tick(review.label("I confirm that the case closes all the same"))
    review.click(review.button("Approve"))
    review.expect("Approved")
    desk.reload()
    assert desk.page.get_by_test_id("stage").inner_text() == "Closed"


def _add_evidence(desk: Desk, kind: str, title: str, path: Path, source: str, information: str,
                  collected_at: str = "", collected_by: str = "") -> None:
    """From the case page: Add evidence, with a file; ends on the item's page."""
    desk.click(desk.link("Add evidence"))
    desk.select(desk.label("Kind"), kind)
    desk.fill(desk.label("Title", exact=True), title)
    if collected_at:
        desk.fill(desk.label("Collected at (UTC)"), collected_at)
    if collected_by:
        desk.fill(desk.label("Collected by"), collected_by)
    desk.select(desk.label("Reliability of the source"), source)
    desk.select(desk.label("Credibility of the information"), information)
    desk.upload(desk.label("File (optional)"), path)
    desk.click(desk.button("Add evidence"))
    desk.page.wait_for_url("**/evidence/*")
    desk.expect(path.name)


def _record_message(desk: Desk, said_on: str, speaker: str, audience: str, summary: str) -> None:
    """On the case page: the deterrence message form, opened and filled."""
    desk.click(desk.page.get_by_text("Record a deterrence message"))
    form = desk.page.locator("form", has=desk.button("Record message"))
    desk.fill(desk.label("Said on", within=form), said_on)
    desk.fill(desk.label("Speaker", within=form), speaker)
    desk.fill(desk.label("Audience", within=form), audience)
    desk.fill(desk.label("What was said", within=form), summary)
    desk.click(desk.button("Record message"))
    desk.expect(summary[:40])


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
    parser.add_argument("--trace", action="store_true",
                        help="print each click: who, what, the page it led to, the messages shown")
    parser.add_argument("--screenshots", type=Path, metavar="DIR",
                        help="save the page after each click to DIR")
    args = parser.parse_args()
    chromium = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    with tempfile.TemporaryDirectory(prefix="walk-") as scratch:
        folder = Path(scratch)
        server, passwords = serve(args.port, folder)
        try:
            tally = walk(f"http://127.0.0.1:{args.port}", passwords, chromium, args.show, folder,
                         args.trace, args.screenshots)
        finally:
            server.terminate()
            server.wait(timeout=10)
    print(f"{'stage':<20}{'actions':>8}{'navigations':>13}{'clicks':>8}{'fills':>7}{'sign-ins/outs':>15}"
          f"{'reloads for news':>18}")
    total = collections.Counter()
    for stage in STAGES:
        c = tally.counts[stage]
        actions = c["navigations"] + c["clicks"] + c["fills"]
        total.update(c)
        print(f"{stage:<20}{actions:>8}{c['navigations']:>13}{c['clicks']:>8}{c['fills']:>7}{c['sign-ins']:>15}"
              f"{c['reloads for news']:>18}")
    actions = total["navigations"] + total["clicks"] + total["fills"]
    print(f"{'all':<20}{actions:>8}{total['navigations']:>13}{total['clicks']:>8}{total['fills']:>7}{total['sign-ins']:>15}"
          f"{total['reloads for news']:>18}")


if __name__ == "__main__":
    main()
