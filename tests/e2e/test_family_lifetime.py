"""The absolute lifetime of a refresh-token family
(refresh_family_lifetime_seconds): no token of a family, refresh or
access, outlives the family's creation by more than that, however often
it rotates. Past it a refresh is invalid_grant with nothing written: the
token is not rotated and its family not revoked (an ended grant is no sign
of theft), and the refusal is audited with its reason. The clock is moved
by restarting the server under the LD_PRELOAD shim time_shift.so
(tests/faults/time_shift.c), so the family really is that old."""
import base64
import json

import pytest
import requests

from conftest import Server, preload_shim
from helpers_authz import running, set_config
from helpers_token import assert_clean_stop, assert_error, introspect, \
    issue, refresh

HOUR = 3600
ENDED = "maximum lifetime"


def restart(s, monkeypatch, shift):
    """Stop s, then start it again with its clock `shift` seconds ahead
    of the real one (and of the family's creation)."""
    assert_clean_stop(s)
    with monkeypatch.context() as m:
        preload_shim(m, "time_shift", GH_TIME_SHIFT=shift)
        s.start()


def family_created(s):
    rows = s.query("SELECT created_at FROM families")
    assert len(rows) == 1, rows
    return rows[0][0]


def exp_of(s, token):
    r = introspect(s, token)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["active"], body
    return body["exp"]


def refused_as_ended(r):
    body = assert_error(r, 400, "invalid_grant")
    assert ENDED in body.get("error_description", ""), body


def test_tokens_near_the_family_end_expire_at_it(tmp_path, monkeypatch):
    """Tokens minted an hour into a one-hour family (refresh ttl 30 days,
    access ttl 10 minutes) expire at the family's end, not ttl later; past
    the end they are dead everywhere and the refresh is refused."""
    with running(tmp_path, refresh_family_lifetime_seconds=HOUR) as s:
        c = s.confidential
        t0 = issue(s, c)
        end = family_created(s) + HOUR
        # from the redemption on: the refresh token stops at the end
        assert exp_of(s, t0["refresh_token"]) == end
        assert exp_of(s, t0["access_token"]) < end

        restart(s, monkeypatch, HOUR - 300)
        r = refresh(s, c, t0["refresh_token"])
        assert r.status_code == 200, r.text
        t1 = r.json()
        assert 0 < t1["expires_in"] <= 300, t1
        assert exp_of(s, t1["access_token"]) == end
        assert exp_of(s, t1["refresh_token"]) == end

        restart(s, monkeypatch, HOUR + 60)
        for tok in (t1["access_token"], t1["refresh_token"]):
            assert introspect(s, tok).json() == {"active": False}
        refused_as_ended(refresh(s, c, t1["refresh_token"]))
        assert "token.reuse_detected" not in s.audit_types()


def test_a_refresh_past_the_family_end_changes_nothing(tmp_path,
                                                       monkeypatch):
    """A family older than the lifetime (made before it was set, or under
    a longer one) is refused at its next refresh, as often as it is tried,
    though its refresh token has not expired: no rotation, no revocation,
    no reuse alert, one token.refresh_refused event per try. With the
    lifetime off (0) the same token refreshes."""
    with running(tmp_path, refresh_family_lifetime_seconds=0) as s:
        c = s.confidential
        t0 = issue(s, c)
        assert exp_of(s, t0["refresh_token"]) > family_created(s) + 86400

        set_config(s, refresh_family_lifetime_seconds=HOUR)
        restart(s, monkeypatch, HOUR + 60)
        for _ in range(2):
            refused_as_ended(refresh(s, c, t0["refresh_token"]))
        assert s.query("SELECT count(*) FROM tokens"
                       " WHERE rotated_at IS NOT NULL") == [(0,)]
        assert s.query("SELECT count(*) FROM tokens") == [(2,)]
        assert s.query("SELECT count(*) FROM families"
                       " WHERE revoked_at IS NOT NULL") == [(0,)]
        types = s.audit_types()
        assert "token.reuse_detected" not in types
        assert "token.refreshed" not in types
        details = [json.loads(d) for (d,) in s.query(
            "SELECT detail FROM audit_events WHERE type = ? ORDER BY seq",
            "token.refresh_refused")]
        assert details == [{"reason": "family_lifetime"}] * 2, details
        assert s.query("SELECT count(*) FROM alerts"
                       " WHERE rule = 'refresh_reuse'") == [(0,)]
        # minted before the lifetime was shortened, it keeps its stored
        # expiry, yet readers judge it by the lifetime in force: dead
        assert introspect(s, t0["refresh_token"]).json() == \
            {"active": False}

        set_config(s, refresh_family_lifetime_seconds=0)
        restart(s, monkeypatch, HOUR + 60)
        r = refresh(s, c, t0["refresh_token"])
        assert r.status_code == 200, r.text
        assert "token.refreshed" in s.audit_types()


def userinfo(s, access_token):
    return requests.get(s.base + "/userinfo", headers={
        "Authorization": "Bearer " + access_token})


def test_a_lifetime_shortened_later_ends_older_tokens_everywhere(
        tmp_path, monkeypatch):
    """Tokens minted with no lifetime keep their stored expiry (a day for
    the access token, 30 days for the refresh token). Once a lifetime is
    set, introspection and UserInfo judge them by it: inside the new end
    they are active and told to expire at it; past it they are dead,
    though their stored expiry is still ahead. They used to stay active
    (and the access token good at UserInfo) until that stored expiry."""
    with running(tmp_path, refresh_family_lifetime_seconds=0,
                 access_token_ttl_seconds=86400) as s:
        c = s.confidential
        t0 = issue(s, c)
        created = family_created(s)
        assert exp_of(s, t0["access_token"]) >= created + 86400
        assert userinfo(s, t0["access_token"]).status_code == 200

        set_config(s, refresh_family_lifetime_seconds=2 * HOUR)
        restart(s, monkeypatch, HOUR)
        for tok in (t0["access_token"], t0["refresh_token"]):
            assert exp_of(s, tok) == created + 2 * HOUR
        assert userinfo(s, t0["access_token"]).status_code == 200

        restart(s, monkeypatch, 2 * HOUR + 60)
        for tok in (t0["access_token"], t0["refresh_token"]):
            assert introspect(s, tok).json() == {"active": False}
        r = userinfo(s, t0["access_token"])
        assert r.status_code == 401, r.text
        assert 'error="invalid_token"' in r.headers["WWW-Authenticate"]
        refused_as_ended(refresh(s, c, t0["refresh_token"]))


def jwt_claims(jwt):
    body = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def test_the_id_token_ends_with_its_family(tmp_path):
    """An ID token lives id_token_ttl_seconds, but no longer than the
    family it was issued with: a day's ttl under a one-hour lifetime gives
    an hour. It used to outlive the family's end by the rest of its day."""
    with running(tmp_path, refresh_family_lifetime_seconds=HOUR,
                 id_token_ttl_seconds=86400) as s:
        claims = jwt_claims(issue(s, s.confidential)["id_token"])
        assert claims["exp"] == family_created(s) + HOUR, claims
    (tmp_path / "long").mkdir()
    with running(tmp_path / "long", refresh_family_lifetime_seconds=0,
                 id_token_ttl_seconds=86400) as s:
        claims = jwt_claims(issue(s, s.confidential)["id_token"])
        assert claims["exp"] - claims["iat"] == 86400, claims


def test_refusals_of_an_ended_family_are_audited_within_a_budget(
        tmp_path, monkeypatch):
    """Whoever holds a token of an ended family (for a public client,
    the token alone: worthless otherwise, it may sit in a log or a
    backup) can present it at will. Each refusal used to append a
    durable, chained token.refresh_refused row: 30 tries wrote 30 rows.
    They are recorded within the budget of events an outsider causes at
    will (governance/audit_budget.h), per family, address and client: 10
    rows a window, every refusal still logged and still invalid_grant.
    Another family of the same client keeps a budget of its own."""
    tries = 30
    with running(tmp_path, refresh_family_lifetime_seconds=HOUR) as s:
        c = s.public
        t0, t1 = issue(s, c), issue(s, c)
        restart(s, monkeypatch, HOUR + 60)
        for _ in range(tries):
            refused_as_ended(refresh(s, c, t0["refresh_token"]))
        refused_as_ended(refresh(s, c, t1["refresh_token"]))
        rows = [json.loads(d) for (d,) in s.query(
            "SELECT detail FROM audit_events WHERE type = ? ORDER BY seq",
            "token.refresh_refused")]
        assert len(rows) == 10 + 1, rows
        assert all(d["reason"] == "family_lifetime" for d in rows), rows
        log = s.log_text()
        assert log.count('"type":"token.refresh_refused"') == tries + 1
        assert log.count('"stored":"folded"') == tries - 10, log[-4000:]
        assert "token.reuse_detected" not in s.audit_types()


def test_init_writes_the_default_lifetime(tmp_path):
    s = Server(tmp_path)
    with open(s.conf) as f:
        assert json.load(f)["refresh_family_lifetime_seconds"] == 31536000


@pytest.mark.parametrize("value", [1, 3599, -1])
def test_a_lifetime_under_an_hour_is_refused(tmp_path, value):
    s = Server(tmp_path, refresh_family_lifetime_seconds=value)
    r = s.cli("check-config", check=False)
    assert r.returncode != 0
    assert "refresh_family_lifetime_seconds" in r.stderr, r.stderr
    with pytest.raises(RuntimeError, match="refresh_family_lifetime"):
        s.start()
    s.proc = None
