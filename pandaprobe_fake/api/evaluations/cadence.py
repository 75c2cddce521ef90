"""Monitor cadences as upstream reads them: `every_6h`, `daily`, `weekly`, or `cron:<expression>`
(croniter's 5 fields, a 6th trailing seconds field, aliases such as `@hourly`), and the next run
they give.  Pure functions of the cadence text and a time in microseconds.

Where BEHAVIOR.md is silent (upstream's croniter raises, a 500): an expression croniter accepts
but no date ever matches (`0 0 30 2 *`) is refused as an invalid cron expression, and a cadence
whose next run would fall past year 9999 gives a time past the clock's last instant, so the
monitor never falls due (shown as 9999-12-31T23:59:59.999999, like a late interval cadence)."""

from __future__ import annotations

from datetime import datetime, timezone


from pandaprobe_fake.clock import MAX_MICROS, to_datetime, to_micros

HOUR = 3_600_000_000
INTERVALS = {"every_6h": 6 * HOUR, "daily": 24 * HOUR, "weekly": 7 * 24 * HOUR}
CRON = "cron:"
NEVER = MAX_MICROS + 1  # a next run the clock cannot reach
_SOME_TIME = datetime(2000, 1, 1, tzinfo=timezone.utc)  # a leap year's start: Feb 29 matches soon after


class CadenceError(ValueError):
    """A cadence upstream refuses; the message is its sentence."""


def normalize(cadence: str) -> str:
    """The cadence as stored (`cron:` expressions trimmed), or CadenceError."""
    if cadence in INTERVALS:
        return cadence
    if cadence.startswith(CRON):
        expression = cadence[len(CRON):].strip()
        if not expression:
            raise CadenceError("Cron expression must not be empty after 'cron:' prefix.")
        from croniter import croniter  # imported on first use: 8 ms of start-up otherwise

        if not croniter.is_valid(expression) or not _ever_matches(expression):
            raise CadenceError(f"Invalid cron expression: '{expression}'")
        return CRON + expression
    raise CadenceError(
        f"Invalid cadence '{cadence}'. Must be one of [<MonitorCadence.EVERY_6H: 'every_6h'>, "
        f"<MonitorCadence.DAILY: 'daily'>, <MonitorCadence.WEEKLY: 'weekly'>] or 'cron:<expression>'.")


def next_run(cadence: str, now: int) -> int:
    """The next run of a (normalized) cadence after `now`: now + 6 h / 1 day / 7 days exactly,
    or the next cron match strictly after now (UTC, whole seconds)."""
    if cadence in INTERVALS:
        return now + INTERVALS[cadence]
    start = to_datetime(now).astimezone(timezone.utc)
    from croniter import croniter

    try:
        following = croniter(cadence[len(CRON):], start).get_next(datetime)
    except (OverflowError, ValueError):  # past year 9999 (or, from an old file, no date at all)
        return NEVER
    return min(to_micros(following), NEVER)


def _ever_matches(expression: str) -> bool:
    from croniter import CroniterBadDateError, croniter

    try:
        croniter(expression, _SOME_TIME).get_next(datetime)
    except CroniterBadDateError:
        return False
    return True
