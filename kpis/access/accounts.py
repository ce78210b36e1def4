"""Local accounts: add, list and remove users; check a password; lock out repeated failures.

Passwords are kept only as argon2id hashes (argon2-cffi) and are never logged: the audit log
records who signed in, who failed and why (wrong password, unknown account, locked), never
what was typed. After `MAX_FAILURES` wrong passwords in a row an account is locked for
`LOCKOUT`; a right password while locked is refused too. Single sign-on users (OIDC through
`st.login`) are looked up by email; an account without a password can only sign on that way.
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime, timedelta

import pandas as pd
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from kpis.access.permissions import ROLES, Actor, actor_for, is_email, normalise_email, require, users_exist
from kpis.store.accounts import (
    claim_sign_in_attempt,
    count_admins,
    count_non_admins,
    delete_user,
    insert_user,
    lock_user,
    record_password_sign_in,
    set_last_sign_in,
    set_password_hash,
    unlock_user,
    users_table,
)
from kpis.store.audit import audit
from kpis.store.database import Store, now

MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 12
NOT_RECOGNISED = "The email address or password was not recognised."

_hasher = PasswordHasher()
_dummy_hash: str | None = None


class AuthError(ValueError):
    """A user change that cannot be made, said in plain English."""


class SignInFailed(Exception):
    """A sign-in refused; the message is safe to show (it never says whether an account exists,
    except that a locked account says so, and when it unlocks)."""

    def __init__(self, message: str, *, locked_until: datetime | None = None):
        super().__init__(message)
        self.locked_until = locked_until


# -- managing accounts -----------------------------------------------------------------------------
def check_password(password: str, *, email: str = "") -> list[str]:
    """Every reason this password is too weak; empty when it is acceptable."""
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(f"it should be at least {MIN_PASSWORD_LENGTH} characters long (three random words work well)")
    if email and password.strip().lower() == normalise_email(email):
        problems.append("it should not be the email address")
    return problems


def add_user(store: Store, *, actor: Actor, email: str, role: str, areas: Iterable[str] = (),
             password: str | None = None, known_areas: Iterable[str] | None = None,
             at: datetime | None = None) -> Actor:
    """Create an account. Only an administrator may; the first account must be an administrator."""
    require(actor, "admin")
    email, areas = normalise_email(email), tuple(dict.fromkeys(a.strip() for a in areas if a.strip()))
    problems = []
    if not is_email(email):
        problems.append(f"'{email}' is not an email address")
    if role not in ROLES:
        problems.append(f"the role '{role}' is not one of {', '.join(ROLES)}")
    if role == "lead" and not areas:
        problems.append("a sub-group lead needs at least one area (--area)")
    if areas and role != "lead":
        problems.append(f"only sub-group leads have areas; a {ROLES.get(role, role).lower()} sees every area")
    if known_areas is not None:
        unknown = [a for a in areas if a not in set(known_areas)]
        if unknown:
            problems.append(f"there is no area {', '.join(unknown)}; choose from {', '.join(known_areas)}")
    if password is not None:
        problems += [f"the password is too weak: {p}" for p in check_password(password, email=email)]
    if not users_exist(store) and role != "admin":
        problems.append("the first account must be an administrator, so someone can manage the others")
    if actor_for(store, email) is not None:
        problems.append(f"{email} already has an account; remove it first to change it")
    if problems:
        raise AuthError("The account was not added: " + "; ".join(problems) + ".")
    at = at or now()
    digest = _hasher.hash(password) if password is not None else None
    with store.transaction() as cur:
        insert_user(cur, email=email, role=role, areas=areas, password_hash=digest, at=at, created_by=actor.email)
        audit(cur, actor=actor.email, action="user_added", at=at,
              detail={"email": email, "role": role, "areas": list(areas), "local_password": digest is not None})
    return Actor(email=email, role=role, areas=areas)


def remove_user(store: Store, *, actor: Actor, email: str, at: datetime | None = None) -> None:
    """Delete an account. Only an administrator may; the last administrator cannot go while others remain."""
    require(actor, "admin")
    email = normalise_email(email)
    target = actor_for(store, email)
    if target is None:
        raise AuthError(f"There is no account for {email}.")
    if email == actor.email:
        raise AuthError("You cannot remove your own account while signed in with it; ask another administrator.")
    if target.role == "admin":
        admins = count_admins(store)
        others = count_non_admins(store)
        if admins == 1 and others:
            raise AuthError(f"{email} is the last administrator; add another administrator before removing it.")
    at = at or now()
    with store.transaction() as cur:
        delete_user(cur, email)
        audit(cur, actor=actor.email, action="user_removed", at=at, detail={"email": email, "role": target.role})


def set_password(store: Store, *, actor: Actor, email: str, password: str, at: datetime | None = None) -> None:
    """Set (or reset) a password and unlock the account. An administrator, or the user themself."""
    email = normalise_email(email)
    if email != actor.email:
        require(actor, "admin")
    if actor_for(store, email) is None:
        raise AuthError(f"There is no account for {email}.")
    problems = check_password(password, email=email)
    if problems:
        raise AuthError("The password was not changed: " + "; ".join(problems) + ".")
    at = at or now()
    with store.transaction() as cur:
        set_password_hash(cur, email, _hasher.hash(password))
        audit(cur, actor=actor.email, action="password_set", at=at, detail={"email": email})


def unlock(store: Store, *, actor: Actor, email: str, at: datetime | None = None) -> None:
    require(actor, "admin")
    email = normalise_email(email)
    if actor_for(store, email) is None:
        raise AuthError(f"There is no account for {email}.")
    at = at or now()
    with store.transaction() as cur:
        unlock_user(cur, email)
        audit(cur, actor=actor.email, action="user_unlocked", at=at, detail={"email": email})


def list_users(store: Store, *, at: datetime | None = None) -> pd.DataFrame:
    """Every account, without its password hash."""
    at = at or now()
    if not users_exist(store):
        return pd.DataFrame(columns=["email", "role", "role_name", "areas", "local_password", "locked",
                                     "created_at", "created_by", "last_sign_in"])
    df = users_table(store, at)
    df.insert(2, "role_name", df["role"].map(ROLES))
    df["areas"] = [", ".join(a) if a is not None and len(a) else "" for a in df["areas"]]
    return df


# -- signing in ------------------------------------------------------------------------------------
def authenticate(store: Store, email: str, password: str, *, at: datetime | None = None) -> Actor:
    """Check an email and password; return the Actor, or raise SignInFailed with a message to show.

    Each attempt is counted *before* its password is checked, in one UPDATE ... RETURNING under the store's
    write lock: a burst of parallel guesses gets at most `MAX_FAILURES` checks, never one per guess.
    """
    at = at or now()
    email = normalise_email(email)
    claimed = _claim_attempt(store, email, at) if users_exist(store) else None
    if claimed is None:
        _verify(_dummy(), password)  # as slow as a real check, so timing does not reveal which accounts exist
        _log_failure(store, email, "unknown account", at)
        raise SignInFailed(NOT_RECOGNISED)
    digest, attempts, locked_until = claimed
    if locked_until is not None and pd.Timestamp(locked_until).to_pydatetime() > at:
        until = pd.Timestamp(locked_until).to_pydatetime()
        _log_failure(store, email, "account locked", at)
        raise SignInFailed(locked_message(until, at), locked_until=until)
    if attempts > MAX_FAILURES:  # others are being checked right now and use up the allowance: no check
        _log_failure(store, email, "too many attempts at once", at)
        raise SignInFailed(locked_message(at + LOCKOUT, at), locked_until=at + LOCKOUT)
    matches = _verify(digest or _dummy(), password) and digest is not None  # no password: single sign-on only
    if not matches:
        lock = at + LOCKOUT if attempts >= MAX_FAILURES else None
        with store.transaction() as cur:
            if lock:
                lock_user(cur, email, lock)
            audit(cur, actor=email, action="sign_in_failed", at=at,
                  detail={"reason": "no local password" if digest is None else "wrong password",
                          "failures_in_a_row": attempts})
            if lock:
                audit(cur, actor=email, action="account_locked", at=at,
                      detail={"until": lock, "after_failures": attempts})
        if lock:
            raise SignInFailed(f"{NOT_RECOGNISED} {locked_message(lock, at)}", locked_until=lock)
        raise SignInFailed(NOT_RECOGNISED)
    with store.transaction() as cur:
        rehash = _hasher.check_needs_rehash(digest)
        record_password_sign_in(cur, email, at, _hasher.hash(password) if rehash else None)
        audit(cur, actor=email, action="sign_in", at=at, detail={"method": "password"})
    return actor_for(store, email)


def _claim_attempt(store: Store, email: str, at: datetime) -> tuple | None:
    """Count one attempt at `email`'s password, unless it is locked: (hash, attempts counted, locked until).

    One statement reads and writes the count, inside the write lock, so no two attempts see the same count.
    A success resets it; `MAX_FAILURES` failures lock the account. None: there is no such account.
    """
    with store.transaction() as cur:
        return claim_sign_in_attempt(cur, email, at)


def locked_message(until: datetime, at: datetime) -> str:
    minutes = max(1, math.ceil((until - at).total_seconds() / 60))
    return (f"After {MAX_FAILURES} failed attempts this account is locked for {minutes} more minute(s). "
            f"Try again later, or ask an administrator to unlock it.")


def single_sign_on(store: Store, email: str, *, at: datetime | None = None) -> Actor | None:
    """The account for an email confirmed by the identity provider; None (and logged) if there is none."""
    at = at or now()
    actor = actor_for(store, email)
    with store.transaction() as cur:
        if actor is None:
            audit(cur, actor=_loggable(email), action="sign_in_failed", at=at,
                  detail={"reason": "no account for this single sign-on user"})
        else:
            set_last_sign_in(cur, actor.email, at)
            audit(cur, actor=actor.email, action="sign_in", at=at, detail={"method": "single sign-on"})
    return actor


def record_sign_out(store: Store, email: str, *, reason: str = "signed out", at: datetime | None = None) -> None:
    with store.transaction() as cur:
        audit(cur, actor=normalise_email(email), action="sign_out", at=at or now(), detail={"reason": reason})


def _log_failure(store: Store, email: str, reason: str, at: datetime) -> None:
    with store.transaction() as cur:
        audit(cur, actor=_loggable(email), action="sign_in_failed", at=at, detail={"reason": reason})


def _loggable(email: str) -> str:
    """What was typed as the email, unless it does not look like one: then it may be a password typed in
    the wrong box, and is not logged."""
    email = normalise_email(email)
    return email if is_email(email) else "(not an email address)"


def _dummy() -> str:
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = _hasher.hash("not a real password, used to even out timing")
    return _dummy_hash


def _verify(digest: str, password: str) -> bool:
    try:
        return _hasher.verify(digest, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
