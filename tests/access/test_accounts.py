"""Local accounts: argon2 hashes, lockout after repeated failures, audit entries that never hold a password."""
import shutil
from datetime import datetime, timedelta

import pytest

from kpis.access import accounts as auth
from kpis.access.accounts import (
    LOCKOUT,
    MAX_FAILURES,
    NOT_RECOGNISED,
    AuthError,
    SignInFailed,
    add_user,
    authenticate,
    list_users,
    remove_user,
    set_password,
    single_sign_on,
    unlock,
)
from kpis.access.audit import audit_entries
from kpis.access.permissions import Actor, PermissionDenied, command_line_actor
from kpis.store.database import Store

PASSWORD = "correct horse battery staple"
T0 = datetime(2026, 3, 1, 9, 0)
CLI = command_line_actor()


def two_accounts(path) -> None:
    with Store(path) as s:
        add_user(s, actor=CLI, email="Admin@Example.org", role="admin", password=PASSWORD, at=T0)
        add_user(s, actor=CLI, email="lead@example.org", role="lead", areas=["send", "ewmh"], password=PASSWORD,
                 at=T0)


@pytest.fixture
def store(built_once, tmp_path):
    """A store with an administrator and a lead: a copy of one made once (two argon2 hashes are slow on purpose)."""
    path = tmp_path / "auth.duckdb"
    shutil.copy(built_once("two-accounts", two_accounts), path)
    s = Store(path)
    yield s
    s.close()


def everything_stored(store: Store) -> str:
    """Every table's contents as text, to look for a password anywhere."""
    tables = [r[0] for r in store.con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
    return "\n".join(store.df(f'SELECT * FROM "{t}"').to_csv() for t in tables)


def test_passwords_are_argon2_hashes_and_never_stored_or_logged(store):
    digest = store.scalar("SELECT password_hash FROM users WHERE email = 'admin@example.org'")
    assert digest.startswith("$argon2id$")
    with pytest.raises(SignInFailed):
        authenticate(store, "admin@example.org", "a wrong password typed here", at=T0)
    with pytest.raises(SignInFailed):  # a password typed into the email box is not logged either
        authenticate(store, "my secret words 99", PASSWORD, at=T0)
    authenticate(store, "admin@example.org", PASSWORD, at=T0)
    text = everything_stored(store)
    for secret in (PASSWORD, "a wrong password typed here", "my secret words 99"):
        assert secret not in text
    assert "(not an email address)" in text


def test_sign_in_returns_the_actor_with_role_and_areas_and_is_audited(store):
    actor = authenticate(store, "  LEAD@example.org ", PASSWORD, at=T0)
    assert actor == Actor("lead@example.org", "lead", ("send", "ewmh"))
    log = audit_entries(store, actions=["sign_in"])
    assert log.iloc[0]["actor"] == "lead@example.org" and "password" in log.iloc[0]["detail"]
    assert list_users(store).set_index("email").at["lead@example.org", "last_sign_in"] == T0


def test_unknown_accounts_and_wrong_passwords_get_the_same_message(store):
    for email, password in (("nobody@example.org", PASSWORD), ("lead@example.org", "not the password at all")):
        with pytest.raises(SignInFailed) as caught:
            authenticate(store, email, password, at=T0)
        assert str(caught.value) == NOT_RECOGNISED
    reasons = audit_entries(store, actions=["sign_in_failed"])["detail"].str.cat()
    assert "unknown account" in reasons and "wrong password" in reasons


def test_lockout_after_repeated_failures_even_for_the_right_password_then_it_lifts(store):
    for i in range(1, MAX_FAILURES):
        with pytest.raises(SignInFailed) as caught:
            authenticate(store, "lead@example.org", f"wrong guess number {i}", at=T0 + timedelta(seconds=i))
        assert caught.value.locked_until is None
    with pytest.raises(SignInFailed, match="locked for 15 more minute") as caught:
        authenticate(store, "lead@example.org", "the fifth wrong guess", at=T0 + timedelta(seconds=10))
    until = caught.value.locked_until
    assert until == T0 + timedelta(seconds=10) + LOCKOUT
    with pytest.raises(SignInFailed, match="locked for 5 more minute"):   # the right password is refused too
        authenticate(store, "lead@example.org", PASSWORD, at=until - timedelta(minutes=5))
    assert list_users(store, at=until - timedelta(minutes=1)).set_index("email").at["lead@example.org", "locked"]
    assert authenticate(store, "lead@example.org", PASSWORD, at=until + timedelta(seconds=1)).role == "lead"
    actions = set(audit_entries(store)["action"])
    assert {"account_locked", "sign_in_failed", "sign_in"} <= actions


def test_a_success_resets_the_failure_count(store):
    for _ in range(MAX_FAILURES - 1):
        with pytest.raises(SignInFailed):
            authenticate(store, "lead@example.org", "wrong password again", at=T0)
    authenticate(store, "lead@example.org", PASSWORD, at=T0)
    with pytest.raises(SignInFailed) as caught:
        authenticate(store, "lead@example.org", "wrong password again", at=T0)
    assert caught.value.locked_until is None


def test_an_admin_can_unlock_and_reset_a_password(store):
    for _ in range(MAX_FAILURES):
        with pytest.raises(SignInFailed):
            authenticate(store, "lead@example.org", "wrong password again", at=T0)
    admin = Actor("admin@example.org", "admin")
    unlock(store, actor=admin, email="lead@example.org", at=T0)
    set_password(store, actor=admin, email="lead@example.org", password="a brand new long password", at=T0)
    assert authenticate(store, "lead@example.org", "a brand new long password", at=T0).email == "lead@example.org"
    with pytest.raises(AuthError, match="at least 12 characters"):
        set_password(store, actor=admin, email="lead@example.org", password="short")
    lead = Actor("lead@example.org", "lead", ("send",))
    set_password(store, actor=lead, email="lead@example.org", password="my own new password", at=T0)  # themself
    with pytest.raises(PermissionDenied):
        set_password(store, actor=lead, email="admin@example.org", password="taking over the admin")


def test_only_admins_change_accounts_and_every_change_is_audited(store):
    lead = Actor("lead@example.org", "lead", ("send",))
    with pytest.raises(PermissionDenied, match="may not manage users"):
        add_user(store, actor=lead, email="friend@example.org", role="admin", password=PASSWORD)
    with pytest.raises(PermissionDenied):
        remove_user(store, actor=lead, email="admin@example.org")
    admin = Actor("admin@example.org", "admin")
    add_user(store, actor=admin, email="viewer@example.org", role="viewer", at=T0)
    remove_user(store, actor=admin, email="viewer@example.org", at=T0)
    log = audit_entries(store, actions=["user_added", "user_removed"])
    assert list(log["actor"])[:2] == ["admin@example.org", "admin@example.org"]
    assert log["detail"].str.contains("viewer@example.org").sum() == 2


def test_account_rules_are_all_reported_at_once(store):
    with pytest.raises(AuthError) as caught:
        add_user(store, actor=CLI, email="not-an-email", role="lead", areas=["nowhere"], password="short",
                 known_areas=["send", "ewmh"])
    message = str(caught.value)
    for part in ("not an email address", "no area nowhere", "at least 12 characters"):
        assert part in message
    with pytest.raises(AuthError, match="already has an account"):
        add_user(store, actor=CLI, email="ADMIN@example.org", role="viewer")
    with pytest.raises(AuthError, match="needs at least one area"):
        add_user(store, actor=CLI, email="x@example.org", role="lead")
    with pytest.raises(AuthError, match="only sub-group leads have areas"):
        add_user(store, actor=CLI, email="x@example.org", role="analyst", areas=["send"])


def test_the_first_account_must_be_an_admin_and_the_last_admin_stays(tmp_path, store):
    empty = Store(tmp_path / "empty.duckdb")
    with pytest.raises(AuthError, match="first account must be an administrator"):
        add_user(empty, actor=CLI, email="v@example.org", role="viewer")
    empty.close()
    with pytest.raises(AuthError, match="last administrator"):
        remove_user(store, actor=CLI, email="admin@example.org")
    admin = Actor("admin@example.org", "admin")
    with pytest.raises(AuthError, match="your own account"):
        remove_user(store, actor=admin, email="admin@example.org")


def test_single_sign_on_looks_the_role_up_by_email(store):
    assert single_sign_on(store, "Lead@Example.org", at=T0).areas == ("send", "ewmh")
    assert single_sign_on(store, "stranger@council.gov.uk", at=T0) is None
    log = audit_entries(store, actions=["sign_in", "sign_in_failed"])
    assert "single sign-on" in log["detail"].str.cat()
    assert "stranger@council.gov.uk" in set(log["actor"])


def test_an_account_without_a_password_cannot_sign_in_locally(store):
    add_user(store, actor=CLI, email="sso.only@example.org", role="viewer")
    with pytest.raises(SignInFailed, match="not recognised"):
        authenticate(store, "sso.only@example.org", "", at=T0)
    assert not list_users(store).set_index("email").at["sso.only@example.org", "local_password"]


def test_weak_hashes_are_upgraded_on_sign_in(store, monkeypatch):
    from argon2 import PasswordHasher
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    with store.transaction() as cur:
        cur.execute("UPDATE users SET password_hash = ? WHERE email = 'lead@example.org'", [weak])
    authenticate(store, "lead@example.org", PASSWORD, at=T0)
    new = store.scalar("SELECT password_hash FROM users WHERE email = 'lead@example.org'")
    assert new != weak and not auth._hasher.check_needs_rehash(new)


def test_parallel_wrong_passwords_are_checked_at_most_max_failures_times(store, monkeypatch):
    """A burst of wrong passwords at once cannot get more guesses than the limit (the count is atomic)."""
    import threading
    checked = []
    real_verify = auth._verify
    digest = store.scalar("SELECT password_hash FROM users WHERE email = 'lead@example.org'")

    def counting_verify(d, password):
        if d == digest:
            checked.append(password)
        return real_verify(d, password)

    monkeypatch.setattr(auth, "_verify", counting_verify)
    start = threading.Barrier(21)
    outcomes = []

    def guess(i):
        start.wait()
        try:
            authenticate(store, "lead@example.org", f"wrong guess number {i:02d}", at=T0)
            outcomes.append("signed in")
        except SignInFailed as exc:
            outcomes.append(str(exc))

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(21)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(outcomes) == 21 and "signed in" not in outcomes
    assert len(checked) == MAX_FAILURES, f"{len(checked)} passwords checked against a limit of {MAX_FAILURES}"
    with pytest.raises(SignInFailed, match="locked"):           # now locked, even for the right password
        authenticate(store, "lead@example.org", PASSWORD, at=T0 + timedelta(minutes=1))
    assert len(checked) == MAX_FAILURES
    authenticate(store, "lead@example.org", PASSWORD, at=T0 + LOCKOUT + timedelta(seconds=1))   # then it lifts
