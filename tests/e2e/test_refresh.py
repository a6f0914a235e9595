"""The refresh_token grant: rotation, reuse detection, scope narrowing,
client binding and races (RFC 6749 6, RFC 9700 4.14)."""
import pytest

from conftest import get_code
from helpers_token import RT_RE, AT_RE, add_second_client, assert_error, \
    assert_failed_then_done, assert_no_store, assert_replays_budgeted, \
    concurrent_posts, exchange, \
    fail_family_revocations, introspect, is_active, issue, make_server, \
    post, refresh  # noqa: F401


def test_rotation_issues_a_new_refresh_token_and_retires_the_old(server):
    c = server.confidential
    t0 = issue(server, c)
    r = refresh(server, c, t0["refresh_token"])
    assert r.status_code == 200, r.text
    assert_no_store(r)
    t1 = r.json()
    assert RT_RE.fullmatch(t1["refresh_token"])
    assert AT_RE.fullmatch(t1["access_token"])
    assert t1["refresh_token"] != t0["refresh_token"]
    assert t1["access_token"] != t0["access_token"]
    assert not is_active(server, t0["refresh_token"])
    assert is_active(server, t1["refresh_token"])
    # the retired token no longer refreshes
    assert_error(refresh(server, c, t0["refresh_token"]), 400,
                 "invalid_grant")


def test_a_chain_of_refreshes(server):
    c = server.confidential
    rt = issue(server, c)["refresh_token"]
    seen = {rt}
    for _ in range(4):
        r = refresh(server, c, rt)
        assert r.status_code == 200, r.text
        rt = r.json()["refresh_token"]
        assert rt not in seen
        seen.add(rt)
    assert server.query("SELECT count(DISTINCT family_id) FROM tokens") == \
        [(1,)]


def test_reuse_of_a_rotated_token_revokes_the_family(server):
    c = server.confidential
    t0 = issue(server, c)
    t1 = refresh(server, c, t0["refresh_token"]).json()
    t2 = refresh(server, c, t1["refresh_token"]).json()
    assert is_active(server, t2["refresh_token"])
    assert is_active(server, t2["access_token"])
    assert is_active(server, t1["access_token"])

    # the thief (or the victim) replays a token that was already rotated
    assert_error(refresh(server, c, t0["refresh_token"]), 400,
                 "invalid_grant")

    for tok in (t0["access_token"], t1["access_token"], t2["access_token"],
                t2["refresh_token"]):
        assert not is_active(server, tok)
    assert_error(refresh(server, c, t2["refresh_token"]), 400,
                 "invalid_grant")
    assert "token.reuse_detected" in server.audit_types()
    assert server.query("SELECT revoked_reason FROM families") == \
        [("refresh_reuse",)]


def test_replays_after_the_revocation_are_audited_within_a_budget(
        make_server):
    """The reuse that revokes the family is always recorded. Replays of a
    retired token after it (worthless now; for a public client the token
    alone) are the same incident, which an outsider could repeat at will:
    each appended a durable, chained token.reuse_detected row before (30
    replays, 31 rows). Now they are recorded within the budget of events
    an outsider causes (10 rows a window per family, address and client),
    each still logged and still invalid_grant."""
    s = make_server()
    c = s.public
    t0 = issue(s, c)
    refresh(s, c, t0["refresh_token"])
    replays = 31
    for _ in range(replays):
        assert_error(refresh(s, c, t0["refresh_token"]), 400,
                     "invalid_grant")
    assert_replays_budgeted(s, "token.reuse_detected", replays)


def test_reuse_whose_revocation_fails_is_not_answered_as_done(server):
    """If the family cannot be revoked, the replay gets 503 (and may be
    sent again), not the invalid_grant that says the family is gone."""
    c = server.confidential
    t0 = issue(server, c)
    t1 = refresh(server, c, t0["refresh_token"]).json()
    fail_family_revocations(server, True)
    r = refresh(server, c, t0["refresh_token"])
    assert r.status_code == 503, r.text
    assert r.json()["error"] == "temporarily_unavailable"
    assert server.query("SELECT count(*) FROM families"
                        " WHERE revoked_at IS NOT NULL") == [(0,)]
    fail_family_revocations(server, False)
    # the replay again, now that the store works: the family ends
    assert_error(refresh(server, c, t0["refresh_token"]), 400,
                 "invalid_grant")
    assert not is_active(server, t1["refresh_token"])
    assert_failed_then_done(server, "token.reuse_detected", "refresh_reuse",
                            "was revoked")


def test_reuse_leaves_other_families_alone(server):
    c = server.confidential
    a = issue(server, c)
    b = issue(server, c)
    refresh(server, c, a["refresh_token"])
    assert_error(refresh(server, c, a["refresh_token"]), 400,
                 "invalid_grant")
    assert is_active(server, b["access_token"])
    assert refresh(server, c, b["refresh_token"]).status_code == 200


def test_narrowing_then_full_scope_again(server):
    c = server.confidential
    t0 = issue(server, c, scope="openid profile offline_access")
    r = refresh(server, c, t0["refresh_token"], scope="openid")
    assert r.status_code == 200, r.text
    t1 = r.json()
    assert t1["scope"] == "openid"
    i = introspect(server, t1["access_token"]).json()
    assert i["active"] is True and i["scope"] == "openid"
    # the new refresh token keeps the full grant
    i = introspect(server, t1["refresh_token"]).json()
    assert set(i["scope"].split()) == {"openid", "profile", "offline_access"}
    r = refresh(server, c, t1["refresh_token"])
    assert r.status_code == 200, r.text
    t2 = r.json()
    assert set(t2["scope"].split()) == {"openid", "profile", "offline_access"}
    i = introspect(server, t2["access_token"]).json()
    assert set(i["scope"].split()) == {"openid", "profile", "offline_access"}


@pytest.mark.parametrize("scope", ["openid email", "email",
                                   "openid offline_access admin"])
def test_widening_is_invalid_scope(server, scope):
    c = server.confidential
    t0 = issue(server, c, scope="openid offline_access")
    assert_error(refresh(server, c, t0["refresh_token"], scope=scope), 400,
                 "invalid_scope")
    assert "token.scope_escalation" in server.audit_types()
    # nothing was minted, the refresh token was not spent
    r = refresh(server, c, t0["refresh_token"])
    assert r.status_code == 200, r.text
    assert set(r.json()["scope"].split()) == {"openid", "offline_access"}


@pytest.mark.parametrize("scope", ["openid ", "openid  offline_access",
                                   " openid", "openid\tx"])
def test_malformed_scope_is_invalid_scope_not_escalation(server, scope):
    """A scope that is no scope (RFC 6749 3.3: one space between names)
    is a client bug: invalid_scope "malformed scope", and no
    token.scope_escalation event (nor its alert)."""
    c = server.confidential
    t0 = issue(server, c, scope="openid offline_access")
    body = assert_error(refresh(server, c, t0["refresh_token"], scope=scope),
                       400, "invalid_scope")
    assert body["error_description"] == "malformed scope"
    assert "token.scope_escalation" not in server.audit_types()
    # nothing was minted, the refresh token was not spent
    r = refresh(server, c, t0["refresh_token"], scope="openid")
    assert r.status_code == 200, r.text
    assert r.json()["scope"] == "openid"


def test_malformed_scope_with_a_rotated_token_is_still_reuse(server):
    c = server.confidential
    t0 = issue(server, c)
    assert refresh(server, c, t0["refresh_token"]).status_code == 200
    assert_error(refresh(server, c, t0["refresh_token"], scope="openid "),
                 400, "invalid_grant")
    assert "token.reuse_detected" in server.audit_types()


def test_refresh_token_of_another_client_is_invalid_grant(server):
    a = server.confidential
    b = add_second_client(server)
    t0 = issue(server, a)
    assert_error(refresh(server, b, t0["refresh_token"]), 400,
                 "invalid_grant")
    assert_error(refresh(server, server.public, t0["refresh_token"]), 400,
                 "invalid_grant")
    # not revoked, not rotated: A's token still works
    assert is_active(server, t0["access_token"])
    r = refresh(server, a, t0["refresh_token"])
    assert r.status_code == 200, r.text
    assert "token.reuse_detected" not in server.audit_types()


def test_access_token_is_not_a_refresh_token(server):
    c = server.confidential
    t0 = issue(server, c)
    assert_error(refresh(server, c, t0["access_token"]), 400, "invalid_grant")
    assert is_active(server, t0["access_token"])


def test_missing_refresh_token_is_invalid_request(server):
    r = post(server, "/token", {"grant_type": "refresh_token"},
             server.confidential)
    assert_error(r, 400, "invalid_request")


def test_public_client_refresh(server):
    c = server.public
    code, verifier, _ = get_code(server, c)
    t0 = exchange(server, c, code, verifier).json()
    r = refresh(server, c, t0["refresh_token"])
    assert r.status_code == 200, r.text
    assert r.json()["refresh_token"] != t0["refresh_token"]


def test_concurrent_refresh_at_most_one_wins(make_server):
    """10 threads refresh with one token at the same instant, over several
    rounds (a non-atomic rotation loses such a race only now and then)."""
    s = make_server(threads=32)
    c = s.confidential
    rounds = 20
    for _ in range(rounds):
        t0 = issue(s, c)
        results = concurrent_posts(s, "/token", {
            "grant_type": "refresh_token",
            "refresh_token": t0["refresh_token"]}, c, 10)
        errors = [x for x in results if isinstance(x, Exception)]
        assert not errors, errors
        ok = [b for st, b in results if st == 200]
        assert len(ok) <= 1, results
        assert all(st == 400 and b["error"] == "invalid_grant"
                   for st, b in results if st != 200), results
    # at most one successor refresh token per family was stored
    assert s.query("SELECT max(n) FROM (SELECT count(*) AS n FROM tokens "
                   "WHERE kind = 'refresh' GROUP BY family_id) AS per_family")[0][0] <= 2
