"""Evidence gates: requirements that explain themselves, grouped per gate (DESIGN §3).

Each requirement has a code, a sentence a user reads, and a check that says whether it
holds and why not. The same objects drive the checklist on the case page, the refusal of
a request, the re-check at approval, and the snapshot kept with the request.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.case import Case
from models.evidence import EvidenceItem
from models.finding import Finding
from workflow.custody import chain_breaks
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


def _active_evidence(session: Session, case: Case) -> list[EvidenceItem]:
    return session.scalars(select(EvidenceItem).where(EvidenceItem.case_id == case.id,
                                                      EvidenceItem.status == "active")
                           .order_by(EvidenceItem.id)).all()


def _latest(session: Session, case: Case, kind: str) -> Finding | None:
    return session.scalar(select(Finding).where(Finding.case_id == case.id, Finding.kind == kind)
                          .order_by(Finding.id.desc()).limit(1))


def _label(item: EvidenceItem) -> str:
    return f"#{item.id} {item.title}"


def _some_evidence(session: Session, case: Case) -> tuple[bool, str]:
    count = len(_active_evidence(session, case))
    if not count:
        return False, "no active evidence item yet; add the initial report as evidence"
    return True, f"{count} active evidence item{'s' if count > 1 else ''}"


def _use_confirmed(session: Session, case: Case) -> tuple[bool, str]:
    finding = _latest(session, case, "use_determination")
    if finding is None:
        return False, "no use determination recorded"
    if finding.conclusion not in ("confirmed", "likely"):
        return False, f"the use determination is {finding.conclusion}"
    if finding.agent in ("", "unknown"):
        return False, "the use determination names no agent"
    return True, f"use {finding.conclusion}, agent {finding.agent}"


def _two_kinds(session: Session, case: Case) -> tuple[bool, str]:
    items = _active_evidence(session, case)
    kinds = sorted({item.kind for item in items})
    detail = f"{len(items)} active item{'s' if len(items) != 1 else ''} of kind{'s' if len(kinds) != 1 else ''}: {', '.join(kinds) or 'none'}"
    return len(items) >= 2 and len(kinds) >= 2, detail


def _samples_analysed(session: Session, case: Case) -> tuple[bool, str]:
    samples = [item for item in _active_evidence(session, case) if item.is_sample]
    if not samples:
        return True, "no samples recorded"
    short = []
    for sample in samples:
        labs = {a.laboratory.strip().lower() for a in sample.analyses if a.designated and a.result}
        if len(labs) < 2:
            short.append(f"{_label(sample)}: {len(labs)} designated laborator{'y' if len(labs) == 1 else 'ies'} with results")
    if short:
        return False, "; ".join(short)
    return True, f"{len(samples)} sample{'s' if len(samples) > 1 else ''}, each by two or more designated laboratories"


def _cited_custody(session: Session, case: Case) -> tuple[bool, str]:
    finding = _latest(session, case, "use_determination")
    if finding is None or not finding.cited:
        return False, "the use determination cites no evidence"
    broken = []
    for item in finding.cited:
        if not item.custody:
            broken.append(f"{_label(item)}: no custody recorded")
        elif breaks := chain_breaks(item.custody):
            broken.append(f"{_label(item)}: {next(iter(breaks.values()))}")
    if broken:
        return False, "; ".join(broken)
    return True, f"{len(finding.cited)} cited item{'s' if len(finding.cited) > 1 else ''}, chains unbroken"


def _use_not_confirmed(session: Session, case: Case) -> tuple[bool, str]:
    finding = _latest(session, case, "use_determination")
    if finding is None or finding.conclusion != "not_confirmed":
        return False, ("no use determination recorded" if finding is None
                       else f"the use determination is {finding.conclusion}")
    return bool(finding.rationale), finding.rationale[:200] or "no rationale given"


def _attributed(session: Session, case: Case) -> tuple[bool, str]:
    finding = _latest(session, case, "attribution")
    if finding is None:
        return False, "no attribution finding recorded"
    if finding.conclusion != "attributed":
        return False, f"the attribution is {finding.conclusion}"
    missing = [label for label, value in (("responsible party", finding.responsible_party),
                                          ("party type", finding.party_type),
                                          ("standard of proof", finding.standard_of_proof)) if not value]
    if missing:
        return False, "missing: " + ", ".join(missing)
    if len(finding.cited) < 2:
        return False, f"cites {len(finding.cited)} evidence item{'s' if len(finding.cited) != 1 else ''}; two or more needed"
    return True, (f"{finding.responsible_party} ({finding.party_type.replace('_', ' ')}), "
                  f"{finding.standard_of_proof.replace('_', ' ')}, citing {len(finding.cited)} items")


def _attribution_inconclusive(session: Session, case: Case) -> tuple[bool, str]:
    finding = _latest(session, case, "attribution")
    if finding is None or finding.conclusion != "inconclusive":
        return False, ("no attribution finding recorded" if finding is None
                       else f"the attribution is {finding.conclusion}")
    return bool(finding.rationale), finding.rationale[:200] or "no rationale given"


FIELDS_SET = Requirement("case_details", "Title, date, country and place are set.", _fields_set)
LEAD_INVESTIGATOR = Requirement("lead_investigator", "A lead investigator is on the team.",
                                _lead_on_team)

SOME_EVIDENCE = Requirement("evidence", "At least one evidence item (e.g. the initial report).",
                            _some_evidence)
USE_CONFIRMED = Requirement("use_confirmed", "A use determination of confirmed or likely names the agent.",
                            _use_confirmed)
TWO_KINDS = Requirement("two_kinds", "At least two active evidence items of different kinds.",
                        _two_kinds)
SAMPLES_ANALYSED = Requirement(
    "samples_analysed", "Every sample is analysed by at least two designated laboratories, with results.",
    _samples_analysed)
CITED_CUSTODY = Requirement(
    "cited_custody", "Every item the use determination cites has an unbroken chain of custody.",
    _cited_custody)
USE_NOT_CONFIRMED = Requirement("use_not_confirmed",
                                "A use determination of not confirmed, with its rationale.",
                                _use_not_confirmed)
ATTRIBUTED = Requirement(
    "attributed", "An attribution names the responsible party, its type and the standard of proof, "
    "citing at least two evidence items.", _attributed)
INCONCLUSIVE = Requirement("attribution_inconclusive",
                           "An attribution of inconclusive, with its rationale.",
                           _attribution_inconclusive)

#: Every gate's requirements, keyed by (from, target). Later records add theirs here.
REQUIREMENTS: dict[tuple[str, str], tuple[Requirement, ...]] = {
    (REPORTED, INVESTIGATION): (FIELDS_SET, SOME_EVIDENCE, LEAD_INVESTIGATOR),
    (INVESTIGATION, ATTRIBUTION): (USE_CONFIRMED, TWO_KINDS, SAMPLES_ANALYSED, CITED_CUSTODY),
    (INVESTIGATION, CLOSED): (USE_NOT_CONFIRMED,),
    (ATTRIBUTION, LEGAL_CONSEQUENCE): (ATTRIBUTED,),
    (ATTRIBUTION, CLOSED): (INCONCLUSIVE,),
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
