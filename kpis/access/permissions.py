"""Who may do what. Every write in `kpis/` asks `require(actor, action, ...)` first.

Roles build on each other:

- viewer (board member): the board pages, including figures not yet published;
- lead (sub-group lead): a viewer who also submits returns for their own outcome areas;
- analyst: a viewer who also uses the explorer, the SQL console and downloads;
- secretary (the board's secretary): a viewer who also records meetings (attendance, decisions and actions,
  escalations);
- admin: everything, plus users, the framework, targets, meeting dates and imports.

Until the first account exists the product runs in *open demo mode*: nobody signs in and
every page is open, as on a fresh demo install. Once any account exists, these rules apply
to the app and to the command line alike.
"""
from __future__ import annotations

import getpass
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb

from kpis.store.accounts import count_users, user_by_email
from kpis.store.database import Store

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_EMAIL_LENGTH = 254    # the longest address SMTP carries (RFC 5321)

ROLES: dict[str, str] = {
    "viewer": "Board member (viewer)",
    "lead": "Sub-group lead",
    "analyst": "Analyst",
    "secretary": "Board secretary",
    "admin": "Administrator",
}
PLURALS: dict[str, str] = {"viewer": "board members", "lead": "sub-group leads", "analyst": "analysts",
                           "secretary": "board secretaries", "admin": "administrators"}
ACTIONS: dict[str, str] = {
    "view_board": "see the board pages",
    "view_unpublished": "see figures that are not yet published",
    "submit": "submit quarterly returns",
    "explore": "use the explorer",
    "sql": "use the SQL console",
    "download": "download data",
    "record_meetings": "record meetings (attendance, decisions and actions, escalations)",
    "admin": "manage users, the framework, targets, meeting dates and imports",
}
_VIEWER = {"view_board", "view_unpublished"}
GRANTS: dict[str, frozenset[str]] = {
    "viewer": frozenset(_VIEWER),
    "lead": frozenset(_VIEWER | {"submit"}),
    "analyst": frozenset(_VIEWER | {"explore", "sql", "download"}),
    "secretary": frozenset(_VIEWER | {"record_meetings"}),
    "admin": frozenset(ACTIONS),
}


class PermissionDenied(PermissionError):
    """The person asking may not do this; the message says why, in plain English."""


@dataclass(frozen=True)
class Actor:
    """Someone asking to do something: a signed-in user, or the command line."""
    email: str
    role: str
    areas: tuple[str, ...] = field(default_factory=tuple)

    @property
    def role_name(self) -> str:
        return ROLES.get(self.role, self.role)

    def can(self, action: str, *, area: str | None = None) -> bool:
        if action not in ACTIONS:
            raise ValueError(f"Unknown action '{action}'. Known actions: {', '.join(ACTIONS)}.")
        if action not in GRANTS.get(self.role, frozenset()):
            return False
        if action == "submit" and self.role == "lead":
            return area is not None and area in self.areas
        return True

    def as_dict(self) -> dict:
        """The form pages use (`app_pages._auth.current_user()`)."""
        return {"email": self.email, "role": self.role, "areas": list(self.areas)}


def command_line_actor() -> Actor:
    """Whoever runs `python -m kpis` on the server: they can open the database file, so they administer it."""
    try:
        who = getpass.getuser()
    except (KeyError, OSError):
        who = "unknown"
    return Actor(email=f"command line ({who})", role="admin")


def require(actor: Actor | None, action: str, *, area: str | None = None) -> Actor:
    """Return `actor` if they may do `action` (for `area`, when submitting); else raise PermissionDenied."""
    what = ACTIONS.get(action)
    if what is None:
        raise ValueError(f"Unknown action '{action}'. Known actions: {', '.join(ACTIONS)}.")
    if actor is None:
        raise PermissionDenied(f"You need to sign in to {what}.")
    if actor.can(action, area=area):
        return actor
    if action == "submit" and actor.role == "lead":
        own = ", ".join(actor.areas) or "no area"
        raise PermissionDenied(f"{actor.email} is a sub-group lead for {own}, not for {area or 'that area'}, "
                               f"so cannot submit that return. An administrator can add the area to the account.")
    allowed = [PLURALS[r] for r, grants in GRANTS.items() if action in grants]
    who = " and ".join(allowed) if len(allowed) < 3 else ", ".join(allowed[:-1]) + " and " + allowed[-1]
    raise PermissionDenied(f"{actor.email} is signed in as {actor.role_name.lower()}, who may not {what}; "
                           f"only {who} can.")


def may(actor: Actor | None, action: str | Callable[[Actor], bool], *, open_mode: bool,
        area: str | None = None) -> bool:
    """The one answer to "open demo mode, or may they?", for the pages: everyone may in open demo mode (no account
    exists yet, so nobody can sign in); otherwise only a signed-in actor who may do `action` (for `area`, when
    submitting), or whom `action` allows when it is a rule of its own (`kpis.governance.self_assessment.may_edit`).
    The domain asks `require` again when anything is written."""
    if open_mode:
        return True
    if actor is None:
        return False
    return action(actor) if callable(action) else actor.can(action, area=area)


def users_exist(store: Store) -> bool:
    """True once any account exists: from then on everyone signs in and these rules apply."""
    try:
        return bool(count_users(store))
    except duckdb.CatalogException:  # a database from before accounts existed, opened read-only
        return False


def actor_for(store: Store, email: str) -> Actor | None:
    """The registered user with this email address (any case), or None."""
    try:
        row = user_by_email(store, normalise_email(email))
    except duckdb.CatalogException:
        return None
    if row.empty:
        return None
    areas = row.at[0, "areas"]
    return Actor(email=row.at[0, "email"], role=row.at[0, "role"], areas=tuple(areas if areas is not None else ()))


def check_submitter(store: Store, email: str, area_id: str) -> Actor | None:
    """May `email` submit the return of `area_id`? In open demo mode (no accounts yet) anyone may."""
    if not users_exist(store):
        return None
    actor = actor_for(store, email)
    if actor is None:
        raise PermissionDenied(f"{email} is not a registered user, so cannot submit returns. An administrator can "
                               f"add them with: python -m kpis user add {normalise_email(email)} --role lead "
                               f"--area {area_id}")
    return require(actor, "submit", area=area_id)


def normalise_email(email: str | None) -> str:
    """The one spelling of an email address, wherever it is typed, stored or compared: trimmed, lower case."""
    return (email or "").strip().lower()


def is_email(email: str) -> bool:
    """Whether `email` (as `normalise_email` spells it) is written as an email address, wherever one is typed."""
    return bool(EMAIL.match(email)) and len(email) <= MAX_EMAIL_LENGTH
