"""Who may do what: the role rules, and the submit check that the app and the CLI share."""
import pytest

from kpis.access.accounts import add_user
from kpis.access.permissions import (
    ACTIONS,
    Actor,
    PermissionDenied,
    actor_for,
    check_submitter,
    command_line_actor,
    require,
    users_exist,
)
from kpis.store.database import Store

VIEWER = Actor("v@example.org", "viewer")
LEAD = Actor("l@example.org", "lead", ("safeguarding", "send"))
ANALYST = Actor("a@example.org", "analyst")
ADMIN = Actor("ad@example.org", "admin")

EXPECTED = {  # action: the roles that may
    "view_board": {"viewer", "lead", "analyst", "admin"},
    "view_unpublished": {"viewer", "lead", "analyst", "admin"},
    "explore": {"analyst", "admin"},
    "sql": {"analyst", "admin"},
    "download": {"analyst", "admin"},
    "admin": {"admin"},
}


@pytest.mark.parametrize("action", sorted(EXPECTED))
def test_each_role_may_do_exactly_its_actions(action):
    for actor in (VIEWER, LEAD, ANALYST, ADMIN):
        assert actor.can(action) == (actor.role in EXPECTED[action]), (actor.role, action)
        if actor.role in EXPECTED[action]:
            assert require(actor, action) is actor
        else:
            with pytest.raises(PermissionDenied, match=actor.email):
                require(actor, action)


def test_submit_is_for_leads_of_that_area_and_admins():
    assert LEAD.can("submit", area="safeguarding") and LEAD.can("submit", area="send")
    assert not LEAD.can("submit", area="early_help")
    with pytest.raises(PermissionDenied, match="sub-group lead for safeguarding, send, not for early_help"):
        require(LEAD, "submit", area="early_help")
    assert ADMIN.can("submit", area="early_help")
    for other in (VIEWER, ANALYST):
        with pytest.raises(PermissionDenied, match="may not submit quarterly returns"):
            require(other, "submit", area="safeguarding")


def test_nobody_signed_in_is_told_to_sign_in_and_unknown_actions_are_errors():
    with pytest.raises(PermissionDenied, match="You need to sign in to use the SQL console"):
        require(None, "sql")
    with pytest.raises(ValueError, match="Unknown action"):
        require(ADMIN, "launch_rockets")
    assert set(ACTIONS) >= set(EXPECTED) | {"submit"}


def test_check_submitter_is_open_until_the_first_account_then_enforced(tmp_path):
    store = Store(tmp_path / "p.duckdb")
    assert not users_exist(store)
    assert check_submitter(store, "anyone@example.org", "send") is None          # open demo mode
    add_user(store, actor=command_line_actor(), email="boss@example.org", role="admin", password=None)
    add_user(store, actor=command_line_actor(), email="Lead@Example.org", role="lead", areas=["send"])
    assert users_exist(store)
    assert check_submitter(store, "LEAD@example.org ", "send").email == "lead@example.org"
    with pytest.raises(PermissionDenied, match="not for safeguarding"):
        check_submitter(store, "lead@example.org", "safeguarding")
    with pytest.raises(PermissionDenied, match=r"anyone@example.org is not a registered user.*user add"):
        check_submitter(store, "anyone@example.org", "send")
    assert check_submitter(store, "boss@example.org", "safeguarding").role == "admin"
    assert actor_for(store, "nobody@example.org") is None
    store.close()


def test_a_database_opened_read_only_before_accounts_existed_has_no_users(tmp_path):
    import duckdb
    path = tmp_path / "old.duckdb"
    duckdb.connect(str(path)).close()
    store = Store(path, read_only=True)
    assert not users_exist(store) and actor_for(store, "a@b.org") is None
    store.close()


def test_only_an_administrator_may_import_published_figures_once_accounts_exist(tmp_path):
    from pathlib import Path

    from kpis.core.framework import load_framework
    from kpis.published.importer import import_benchmarks
    fixture = Path(__file__).parent.parent / "fixtures" / "benchmarks" / "dfe_d3_markers.csv"
    store = Store(tmp_path / "i.duckdb")
    add_user(store, actor=command_line_actor(), email="boss@example.org", role="admin", password=None)
    before = store.scalar("SELECT count(*) FROM observations")
    for someone in (VIEWER, LEAD, ANALYST):
        with pytest.raises(PermissionDenied, match="may not manage users, the framework, targets, meeting dates and "
                                                   "imports"):
            import_benchmarks(store, fixture, framework=load_framework(), actor=someone)
    assert store.scalar("SELECT count(*) FROM observations") == before   # nothing was written
    report = import_benchmarks(store, fixture, framework=load_framework(), actor=ADMIN)
    assert report.rows_imported > 0 and store.scalar("SELECT count(*) FROM observations") > before
    store.close()


def test_a_refusal_names_who_may_in_plain_english():
    from kpis.access.permissions import Actor, PermissionDenied, require
    with pytest.raises(PermissionDenied) as refused:
        require(Actor(email="ana@example.org", role="analyst", areas=()), "admin")
    assert str(refused.value).endswith("only administrators can.")
    with pytest.raises(PermissionDenied) as refused:
        require(Actor(email="bo@example.org", role="viewer", areas=()), "sql")
    assert str(refused.value).endswith("only analysts and administrators can.")
