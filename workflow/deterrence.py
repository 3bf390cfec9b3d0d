"""Deterrence messages, recorded in every stage of a case."""
from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from models.message import DeterrenceMessage
from workflow import command, permissions
from workflow.audit import Actor
from workflow.fields import day, text


def record_message(session: Session, actor: Actor, case_id: int, *, expected_version,
                   said_on: date, audience: str, speaker: str, summary: str,
                   channel: str = "") -> DeterrenceMessage:
    """Record a deterrence message in the stage the case is in now."""
    cmd = command.begin(session, actor, case_id, action=permissions.RECORD_MESSAGE,
                        expected_version=expected_version)
    case = cmd.case
    message = DeterrenceMessage(
        case_id=case.id, stage=case.state, said_on=day(said_on, "said_on", required=True, past=True),
        audience=text(audience, "audience", 300, True), channel=text(channel, "channel", 200),
        speaker=text(speaker, "speaker", 200, True), summary=text(summary, "summary", 20_000, True),
        recorded_by_id=actor.id)
    session.add(message)
    session.flush()
    cmd.record("deterrence_message_recorded", "deterrence_message",
                  message.id, {"stage": message.stage, "said_on": message.said_on.isoformat(),
                               "audience": message.audience, "channel": message.channel,
                               "speaker": message.speaker, "summary": message.summary})
    return message
