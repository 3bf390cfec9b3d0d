"""Evidence gates: requirements that explain themselves, grouped per gate (DESIGN §3).

Each requirement has a code, a sentence a user reads, and a check that says whether it
holds and why not. The same objects drive the checklist on the case page, the refusal of
a request, the re-check at approval, and the snapshot kept with the request.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from models.case import Case
from workflow.pathway import (ATTRIBUTION, CLOSED, EVALUATION, IMPLEMENTATION, INVESTIGATION,
                              LEGAL_CONSEQUENCE, REPORTED)


@dataclass(frozen=True)
class Requirement:
    """One condition of a gate."""

    code: str
    sentence: str
    check: Callable[[Session, Case], tuple[bool, str]]


@dataclass(frozen=True)
class CheckItem:
    code: str
    sentence: str
    met: bool
    detail: str

    def as_dict(self) -> dict:
        return {"code": self.code, "sentence": self.sentence, "met": self.met,
                "detail": self.detail}


@dataclass(frozen=True)
class Checklist:
    """Every requirement of one gate, evaluated on one case now."""

    source: str
    target: str
    items: tuple[CheckItem, ...]

    @property
    def all_met(self) -> bool:
        return all(item.met for item in self.items)

    @property
    def unmet(self) -> tuple[CheckItem, ...]:
        return tuple(item for item in self.items if not item.met)

    def snapshot(self) -> list[dict]:
        return [item.as_dict() for item in self.items]


def _fields_set(_session: Session, case: Case) -> tuple[bool, str]:
    labels = {"title": "title", "occurred_on": "date", "country": "country", "place": "place"}
    missing = [label for name, label in labels.items() if not getattr(case, name)]
    if missing:
        return False, "missing: " + ", ".join(missing)
    return True, f"{case.title}; {case.occurred_on.isoformat()}; {case.place}, {case.country}"


def _lead_on_team(_session: Session, case: Case) -> tuple[bool, str]:
    lead = case.lead
    if lead is None:
        return False, "no lead investigator on the team; a supervisor names one on the team page"
    return True, f"lead investigator: {lead.user.full_name or lead.user.username}"


FIELDS_SET = Requirement("case_details", "Title, date, country and place are set.", _fields_set)
LEAD_INVESTIGATOR = Requirement("lead_investigator", "A lead investigator is on the team.",
                                _lead_on_team)

#: Every gate's requirements, keyed by (from, target). Later records add theirs here.
REQUIREMENTS: dict[tuple[str, str], tuple[Requirement, ...]] = {
    (REPORTED, INVESTIGATION): (FIELDS_SET, LEAD_INVESTIGATOR),
    (INVESTIGATION, ATTRIBUTION): (),
    (INVESTIGATION, CLOSED): (),
    (ATTRIBUTION, LEGAL_CONSEQUENCE): (),
    (ATTRIBUTION, CLOSED): (),
    (LEGAL_CONSEQUENCE, IMPLEMENTATION): (),
    (IMPLEMENTATION, EVALUATION): (),
    (EVALUATION, CLOSED): (),
    (EVALUATION, LEGAL_CONSEQUENCE): (),
    (EVALUATION, IMPLEMENTATION): (),
}


def evaluate(session: Session, case: Case, target: str) -> Checklist:
    """Check every requirement of the gate from the case's stage to `target`, now."""
    requirements = REQUIREMENTS.get((case.state, target), ())
    items = []
    for requirement in requirements:
        met, detail = requirement.check(session, case)
        items.append(CheckItem(requirement.code, requirement.sentence, met, detail))
    return Checklist(case.state, target, tuple(items))
