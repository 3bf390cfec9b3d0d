"""UTC time as the database stores it (naive) and as the audit chain writes it."""
from datetime import UTC, date, datetime


def utcnow() -> datetime:
    """The current UTC time, naive, at microsecond precision."""
    return datetime.now(UTC).replace(tzinfo=None)


def format_utc(moment: datetime) -> str:
    """The canonical text of a naive UTC time: always six fraction digits and a Z."""
    return moment.isoformat(timespec="microseconds") + "Z"


def today() -> date:
    """Today's date in UTC, the calendar every stored day and due date is kept in."""
    return datetime.now(UTC).date()
