"""What lands on disk and in the log: secrets only as keyed hashes, never in
the clear; the audit trail of a whole flow; database files that only the
server's user can read."""
import base64
import json
import os
import stat

import pytest

from conftest import PASSWORD, PG_URL, Browser, Server, auth_params, \
    pkce_pair, redirect_params
from helpers_token import UA, assert_clean_stop, assert_error, \
    b64url_body, exchange, make_server, refresh, revoke, \
    user_id  # noqa: F401

WRONG_PASSWORD = "Tr0ub4dor&3-not-the-password"


def full_flow(server):
    """Login failure, login, consent, code, tokens, refresh, reuse, and a
    second code from remembered consent whose access token is revoked.
    Returns every secret value seen on the wire."""
    c = server.confidential
    ua = {"User-Agent": UA}
    b = Browser(server)
    b.s.headers["User-Agent"] = UA
    verifier, challenge = pkce_pair()
    page = b.get(auth_params(c, challenge))
    assert 'value="login"' in page.text
    page = b.login(page, password=WRONG_PASSWORD)
    assert page.status_code == 200 and 'value="login"' in page.text
    page = b.login(page)
    assert 'value="consent"' in page.text, page.text
    r = b.consent(page)
    _, q = redirect_params(r)
    code = q["code"][0]
    session = [ck.value for ck in b.s.cookies
               if ck.value.startswith("gate_ss_")]
    assert len(session) == 1, b.s.cookies
    t0 = exchange(server, c, code, verifier, headers=ua)
    assert t0.status_code == 200, t0.text
    t0 = t0.json()
    t1 = refresh(server, c, t0["refresh_token"], headers=ua)
    assert t1.status_code == 200, t1.text
    t1 = t1.json()
    # reuse of the rotated token
    assert_error(refresh(server, c, t0["refresh_token"], headers=ua), 400,
                 "invalid_grant")
    # remembered consent: a second code straight away
    verifier2, challenge2 = pkce_pair()
    r = b.get(auth_params(c, challenge2))
    _, q = redirect_params(r)
    code2 = q["code"][0]
    t2 = exchange(server, c, code2, verifier2, headers=ua).json()
    assert revoke(server, c, t2["access_token"], headers=ua).status_code == 200
    return {
        "code": code, "code2": code2,
        "access": t0["access_token"], "access1": t1["access_token"],
        "access2": t2["access_token"],
        "refresh": t0["refresh_token"], "refresh1": t1["refresh_token"],
        "refresh2": t2["refresh_token"],
        "client_secret": c["client_secret"],
        "session": session[0],
    }


def needles(secrets):
    """Each secret as text, its random part without the prefix, and the
    raw bytes that part encodes."""
    out = {}
    for name, v in secrets.items():
        body = b64url_body(v)
        # 43: 256 random bits; 44: codes and tokens (version, time, 208)
        assert len(body) in (43, 44), (name, v)
        out[name] = v.encode()
        out[name + " (body)"] = body.encode()
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        out[name + " (raw)"] = raw
        # a pg_dump shows bytea as hex text
        out[name + " (raw, hex)"] = raw.hex().encode()
    return out


def db_files(server):
    return server.stored_bytes()


def assert_absent(blobs, secrets):
    for path, data in blobs.items():
        for name, needle in secrets.items():
            assert needle not in data, "%s found in %s" % (name, path)


def test_database_files_hold_no_usable_secret(make_server):
    s = make_server()
    secrets = full_flow(s)
    n = needles(secrets)
    n["password"] = PASSWORD.encode()
    n["wrong password"] = WRONG_PASSWORD.encode()
    # hashes are stored: one row per secret, and nothing else
    assert s.query("SELECT count(*) FROM tokens") == [(6,)]
    assert s.query("SELECT count(*) FROM codes") == [(2,)]
    assert s.query("SELECT count(*) FROM sessions") == [(1,)]
    files = db_files(s)
    if s.pg:
        assert list(files) == ["pg_dump"]
    else:
        assert s.db in files and s.db + "-wal" in files, list(files)
    # control: the scan sees real rows (ids are stored in the clear)
    assert any(s.confidential["client_id"].encode() in d
               for d in files.values())
    assert_absent(files, n)
    # and after a checkpoint at shutdown
    assert_clean_stop(s)
    files = db_files(s)
    assert files["pg_dump" if s.pg else s.db]
    assert_absent(files, n)


def test_log_holds_no_secret(server):
    secrets = full_flow(server)
    n = needles(secrets)
    del n["client_secret (raw)"]    # 32 random bytes: text log, no need
    n["password"] = PASSWORD.encode()
    n["wrong password"] = WRONG_PASSWORD.encode()
    log = server.log_text().encode()
    assert b'"audit"' in log and b"token.refreshed" in log  # it does log
    assert server.confidential["client_id"].encode() in log
    assert_absent({"server.log": log}, n)


def audit_rows(server):
    cols = ("type", "actor", "client_id", "user_id", "grant_id",
            "remote_addr", "user_agent", "detail")
    return [dict(zip(cols, r)) for r in server.query(
        "SELECT %s FROM audit_events ORDER BY seq" % ", ".join(cols))]


def test_audit_trail_of_a_flow(server):
    full_flow(server)
    c = server.confidential
    uid = user_id(server)
    rows = audit_rows(server)
    types = [r["type"] for r in rows]
    expected = ["login.failure", "login.success", "consent.granted",
                "code.issued", "code.redeemed", "token.issued",
                "token.refreshed", "token.reuse_detected", "token.revoked"]
    for t in expected:
        assert t in types, (t, types)
        for r in rows:
            if r["type"] != t:
                continue
            assert r["client_id"] == c["client_id"], r
            assert r["user_id"] == uid, r
            assert r["remote_addr"] == "127.0.0.1", r
            assert r["user_agent"] == UA, r
            if t not in ("login.failure", "login.success"):
                assert r["grant_id"], r
    # the order of events follows the flow
    assert types.index("login.failure") < types.index("login.success") < \
        types.index("consent.granted") < types.index("code.issued") < \
        types.index("code.redeemed") < types.index("token.refreshed") < \
        types.index("token.reuse_detected") < types.index("token.revoked")
    assert types.count("code.issued") == 2
    assert types.count("token.issued") == 2
    for r in rows:
        if r["detail"]:
            json.loads(r["detail"])        # detail is well-formed JSON
    # an actor is recorded for the protocol events
    assert {r["actor"] for r in rows if r["type"].startswith("login.")} == \
        {"user"}
    assert {r["actor"] for r in rows if r["type"].startswith("token.")} == \
        {"client"}


def test_denied_consent_is_audited(server):
    c = server.confidential
    b = Browser(server)
    b.s.headers["User-Agent"] = UA
    _, challenge = pkce_pair()
    r = b.authorize(auth_params(c, challenge), decision="deny")
    _, q = redirect_params(r)
    assert q["error"] == ["access_denied"]
    assert "code" not in q
    rows = [r for r in audit_rows(server) if r["type"] == "consent.denied"]
    assert len(rows) == 1, audit_rows(server)
    assert rows[0]["client_id"] == c["client_id"]
    assert rows[0]["user_id"] == user_id(server)
    assert rows[0]["remote_addr"] == "127.0.0.1"
    assert rows[0]["user_agent"] == UA
    assert "code.issued" not in server.audit_types()


def test_client_administration_is_audited(server):
    c = server.add_client(name="Audited app")
    server.cli("client", "disable", c["client_id"])
    out = json.loads(server.cli("client", "rotate-secret", c["client_id"],
                                "--json").stdout)
    assert out["client_secret"] != c["client_secret"]
    rows = [r for r in audit_rows(server)
            if r["client_id"] == c["client_id"]]
    assert [r["type"] for r in rows] == ["client.created", "client.changed",
                                         "client.secret_rotated"]
    assert json.loads(rows[1]["detail"]) == {"status": "disabled"}
    assert {r["actor"] for r in rows} == {"admin"}
    # the rotated secret is not in the database either
    assert_absent(db_files(server),
                  {"new secret": out["client_secret"].encode(),
                   "new secret (body)": b64url_body(
                       out["client_secret"]).encode()})


# -- who can read the database ---------------------------------------------
def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.skipif(PG_URL is not None, reason="the SQLite files")
def test_database_files_are_the_servers_alone(tmp_path):
    """The database (password hashes, emails, the audit trail, sealed
    signing keys) and its -wal and -shm were made 0644 under the usual
    umask 022: readable by every local user."""
    old = os.umask(0o022)
    try:
        s = Server(tmp_path, database=str(tmp_path / "gatehouse.db"))
        assert mode(s.db) == 0o600         # as init leaves it
        s.confidential = s.add_client()
        s.start()
    finally:
        os.umask(old)
    try:
        s.add_user()        # writes while the server holds the files
        for suffix in ("", "-wal", "-shm"):
            assert mode(s.db + suffix) == 0o600, suffix
        assert "store_mode_tightened" not in s.log_text()
    finally:
        assert_clean_stop(s)


@pytest.mark.skipif(PG_URL is not None, reason="the SQLite files")
def test_readable_database_files_are_tightened(tmp_path):
    """Files from before (0644) are made 0600 by whoever opens them next,
    server or admin command, and the log says so."""
    s = Server(tmp_path)
    os.chmod(s.db, 0o644)
    s.start()
    try:
        assert mode(s.db) == 0o600
        assert '"event":"store_mode_tightened"' in s.log_text()
        for suffix in ("", "-wal", "-shm"):
            os.chmod(s.db + suffix, 0o644)
        r = s.cli("client", "list")
        assert r.stderr.count('"event":"store_mode_tightened"') == 3, \
            r.stderr
        for suffix in ("", "-wal", "-shm"):
            assert mode(s.db + suffix) == 0o600, suffix
    finally:
        assert_clean_stop(s)


@pytest.mark.skipif(PG_URL is not None, reason="the SQLite files")
def test_a_planted_link_beside_the_database_is_refused(tmp_path):
    """A -shm (or -wal) planted as a symbolic link had its target, any file
    of the user running gatehouse, made 0600 before SQLite refused it."""
    s = Server(tmp_path)
    target = tmp_path / "precious"
    target.write_text("x")
    os.chmod(target, 0o644)
    os.symlink(target, s.db + "-shm")
    r = s.cli("client", "list", check=False)
    assert r.returncode == 1
    assert "is a symbolic link" in r.stderr, r.stderr
    assert "store_mode_tightened" not in r.stderr
    assert mode(target) == 0o644


@pytest.mark.skipif(PG_URL is not None, reason="the SQLite files")
def test_a_database_reached_through_a_link_works(tmp_path):
    """The database itself may be a link (kept on another disk): SQLite
    keeps its -wal and -shm beside the real file, and those are checked."""
    s = Server(tmp_path)
    real = tmp_path / "disk"
    real.mkdir()
    os.rename(s.db, real / "gatehouse.db")
    os.symlink(real / "gatehouse.db", s.db)
    os.chmod(real / "gatehouse.db", 0o644)
    r = s.cli("client", "list")
    assert r.stderr.count('"event":"store_mode_tightened"') == 1, r.stderr
    assert mode(real / "gatehouse.db") == 0o600
    assert os.path.islink(s.db)


@pytest.mark.skipif(PG_URL is not None or os.geteuid() != 0,
                    reason="the SQLite files; root gives a file away")
def test_a_database_of_another_user_is_refused(tmp_path):
    """Its owner could read and rewrite every row: not adopted."""
    s = Server(tmp_path)
    os.chown(s.db, 65534, 65534)    # nobody
    r = s.cli("client", "list", check=False)
    assert r.returncode == 1
    assert "owned by another user" in r.stderr, r.stderr
    assert stat.S_IMODE(os.stat(s.db).st_mode) == 0o600
    with pytest.raises(RuntimeError):
        s.start()
    s.proc = None
    s.log.close()
    assert "owned by another user" in s.log_text()
