"""The admin command: client registration and secrets, client status,
redirect URI validation, user passwords and their audit trail, grant
revocation (init and check-config: test_cli_config.py)."""
import json
import os
import re
import subprocess

import pytest
import requests

from conftest import (BIN, PASSWORD, REDIRECT, Browser, Server,
                      await_client_status, await_secret, fail_audit_of, poll,
                      token_request)
from helpers_admin import add_admin, api
from helpers_authz import (assert_code_redirect, assert_error_page, count,
                           fresh_params, is_consent)


def client_add(server, *extra, name="CLI app", uris=(REDIRECT,), check=True):
    args = ["client", "add", "--name", name, "--owner", "ops",
            "--scope", "openid offline_access"]
    for u in uris:
        args += ["--redirect-uri", u]
    return server.cli(*(args + list(extra)), check=check)


def refresh_probe(server, client, secret):
    """A /token call that gets past client authentication only with the
    right secret: invalid_client means the secret was refused."""
    return requests.post(server.base + "/token",
                         data={"grant_type": "refresh_token",
                               "refresh_token": "gate_rt_nope"},
                         auth=(client["client_id"], secret))


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    """Config, key and database, no server: for commands that only read or
    add rows (and for failures that must not add any)."""
    s = Server(tmp_path_factory.mktemp("cli"))
    s.confidential = s.add_client(name="Confidential app")
    s.public = s.add_client(name="Public app", public=True,
                            redirect_uris=("http://127.0.0.1:9001/cb",))
    s.user = s.add_user()
    return s


# -- client add ------------------------------------------------------------
def test_client_add_json_is_one_object_with_secret(db):
    server = db
    r = client_add(server, "--json")
    lines = [l for l in r.stdout.splitlines() if l.strip()]
    assert len(lines) == 1, r.stdout
    obj = json.loads(r.stdout)
    assert isinstance(obj, dict)
    assert set(obj) == {"client_id", "client_secret"}
    assert obj["client_secret"].startswith("gate_cs_")
    assert len(obj["client_secret"]) >= len("gate_cs_") + 43
    assert obj["client_id"] and obj["client_id"] != obj["client_secret"]


def test_public_client_add_json_has_no_secret(db):
    server = db
    r = client_add(server, "--json", "--public")
    obj = json.loads(r.stdout)
    assert set(obj) == {"client_id"}
    assert "gate_cs_" not in r.stdout


def test_each_client_gets_distinct_id_and_secret(db):
    server = db
    a = json.loads(client_add(server, "--json").stdout)
    b = json.loads(client_add(server, "--json").stdout)
    assert a["client_id"] != b["client_id"]
    assert a["client_secret"] != b["client_secret"]


def test_client_secret_stored_only_as_hash(db):
    server = db
    obj = json.loads(client_add(server, "--json").stdout)
    for data in server.stored_bytes().values():
        assert obj["client_secret"].encode() not in data
    (h,), = server.query("SELECT secret_hash FROM clients WHERE id = ?",
                         obj["client_id"])
    assert h and obj["client_secret"].encode() not in bytes(h)


def test_client_show_never_prints_secret_or_hash(db):
    server = db
    c = server.confidential
    r = server.cli("client", "show", c["client_id"])
    assert c["client_id"] in r.stdout
    shown = json.loads(r.stdout)
    assert shown["client_id"] == c["client_id"]
    (h,), = server.query("SELECT secret_hash FROM clients WHERE id = ?",
                         c["client_id"])
    h = bytes(h)
    for out in (r.stdout + r.stderr,
                server.cli("client", "list").stdout,
                server.cli("client", "list", "--json").stdout):
        assert c["client_secret"] not in out
        assert "gate_cs_" not in out
        assert h.hex() not in out.lower()
        assert "secret_hash" not in out
    assert not any("secret" in k and k != "secret_rotated_at"
                   for k in shown)


def test_client_show_unknown_fails(db):
    server = db
    r = server.cli("client", "show", "cl_nope", check=False)
    assert r.returncode != 0 and "cl_nope" in r.stderr


# -- rotate-secret ---------------------------------------------------------
def test_rotate_secret_retires_old_secret(server):
    c = server.confidential
    old = c["client_secret"]
    assert refresh_probe(server, c, old).json()["error"] == "invalid_grant"
    r = server.cli("client", "rotate-secret", c["client_id"], "--json")
    new = json.loads(r.stdout)["client_secret"]
    assert new.startswith("gate_cs_") and new != old
    bad = poll(lambda: refresh_probe(server, c, old),
               lambda r: r.status_code != 400)
    assert bad.status_code == 401
    assert bad.json()["error"] == "invalid_client"
    ok = refresh_probe(server, c, new)
    assert ok.json()["error"] == "invalid_grant"    # authenticated


def test_rotated_secret_redeems_code(server):
    c = dict(server.confidential)
    from conftest import get_code
    code, verifier, _ = get_code(server, c)
    r = server.cli("client", "rotate-secret", c["client_id"], "--json")
    old = c["client_secret"]
    c["client_secret"] = json.loads(r.stdout)["client_secret"]
    # the stale secret would spend the code while the server has not yet
    # seen the rotation: wait with a probe that spends nothing
    assert poll(lambda: refresh_probe(server, c, old),
                lambda r: r.status_code != 400).status_code == 401
    data = {"grant_type": "authorization_code", "code": code,
            "code_verifier": verifier, "redirect_uri": REDIRECT}
    stale = dict(c, client_secret=old)
    assert token_request(server, stale, data).status_code == 401
    t = token_request(server, c, data)
    assert t.status_code == 200, t.text


def test_rotate_secret_of_public_or_unknown_client_fails(db):
    server = db
    for cid in (server.public["client_id"], "cl_nope"):
        r = server.cli("client", "rotate-secret", cid, check=False)
        assert r.returncode != 0, cid
        assert "gate_cs_" not in r.stdout


def test_a_rotation_goes_through_when_its_event_cannot_be_stored(server):
    """A rotation removes access (the old secret may have leaked): it
    takes effect even when its client.secret_rotated event cannot be
    stored, shows the new secret (or the integration is locked out) and
    exits 1 naming the lost event."""
    s = server
    c = s.confidential
    cid = c["client_id"]
    fail_audit_of(s, "client.secret_rotated")
    r = s.cli("client", "rotate-secret", cid, "--json", check=False)
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert "audit event could not be stored" in r.stderr, r.stderr
    new = json.loads(r.stdout)["client_secret"]
    await_secret(s, cid, new)
    old = requests.post(s.base + "/introspect", data={"token": "x"},
                        auth=(cid, c["client_secret"]))
    assert old.status_code == 401, old.text
    assert "client.secret_rotated" not in s.audit_types()


# -- disable / enable ------------------------------------------------------
def test_disable_and_enable_client(server):
    c = server.confidential
    b = Browser(server)
    assert_code_redirect(b.authorize(fresh_params(c)), c)

    server.cli("client", "disable", c["client_id"])
    assert json.loads(server.cli("client", "show", c["client_id"])
                      .stdout)["status"] == "disabled"
    await_client_status(server, c["client_id"], active=False)
    assert_error_page(b.get(fresh_params(c)))
    r = refresh_probe(server, c, c["client_secret"])
    assert r.status_code == 401 and r.json()["error"] == "invalid_client"

    server.cli("client", "enable", c["client_id"])
    await_client_status(server, c["client_id"], active=True)
    assert_code_redirect(b.get(fresh_params(c)), c)
    assert refresh_probe(server, c,
                         c["client_secret"]).json()["error"] == \
        "invalid_grant"


def test_disabled_client_cannot_redeem_code_issued_before(server):
    c = server.confidential
    from conftest import get_code
    code, verifier, _ = get_code(server, c)
    server.cli("client", "disable", c["client_id"])
    await_client_status(server, c["client_id"], active=False)
    t = token_request(server, c, {"grant_type": "authorization_code",
                                  "code": code, "code_verifier": verifier,
                                  "redirect_uri": REDIRECT})
    assert t.status_code == 401 and t.json()["error"] == "invalid_client"


def test_disable_unknown_client_fails(db):
    server = db
    r = server.cli("client", "disable", "cl_nope", check=False)
    assert r.returncode != 0


# -- redirect URI validation -----------------------------------------------
@pytest.mark.parametrize("uri", [
    "http://example.com/cb", "https://app.example.com/cb#frag",
    "http://127.0.0.1:9000/cb#", "https://user:pw@app.example.com/cb",
    "javascript:alert(1)", "data:text/html,x", "https:///cb", "cb",
    "/relative", "", "https://app.example.com/a b",
    "http://localhost.evil.com/cb", "http://127.0.0.1.nip.io/cb",
    # an empty or malformed host, a literal wildcard: each was stored
    # before (byte 0xff: below)
    "https://:443/cb", "https://[/cb", "https://*.example.com/cb"])
def test_bad_redirect_uri_refused(db, uri):
    server = db
    before = server.cli("client", "list", "--json").stdout
    r = client_add(server, "--json", uris=(uri,), check=False)
    assert r.returncode != 0, uri
    assert "client_id" not in r.stdout
    assert "gate_cs_" not in r.stdout
    # nothing stored: the listing is whole and the same
    after = server.cli("client", "list", "--json").stdout
    assert after == before
    assert [json.loads(l)["client_id"] for l in after.splitlines()]


@pytest.mark.parametrize("uri", [b"https://app.example.com/\xff",
                                 b"https://app.example.com/caf\xc3\xa9"])
def test_non_ascii_redirect_uri_refused(db, uri):
    """Byte 0xff was stored, and then `client show` said "out of memory"
    (JSON cannot carry it) and `client list --json` stopped there."""
    server = db
    before = server.cli("client", "list", "--json").stdout
    r = subprocess.run(
        [BIN, "--config", server.conf, "client", "add", "--name", "Bytes",
         "--owner", "ops", "--scope", "openid", "--redirect-uri",
         os.fsdecode(uri), "--json"], capture_output=True, timeout=60)
    assert r.returncode != 0, r.stdout
    assert b"client_id" not in r.stdout
    assert server.cli("client", "list", "--json").stdout == before


@pytest.mark.parametrize("uri", [
    "https://app.example.com/cb", "http://127.0.0.1:8123/cb",
    "http://localhost/cb", "http://[::1]:5000/cb",
    "com.example.app:/oauth2redirect", "https://203.0.113.7:8443/cb",
    "https://[2001:db8::1]/cb", "https://app.example.com/c%20b?x=1&y=2"])
def test_good_redirect_uri_accepted(db, uri):
    server = db
    r = client_add(server, "--json", uris=(uri,))
    assert json.loads(r.stdout)["client_id"]


def test_client_add_needs_redirect_uri(db):
    server = db
    r = client_add(server, uris=(), check=False)
    assert r.returncode != 0


def test_client_add_refuses_invalid_scope(db):
    server = db
    r = server.cli("client", "add", "--name", "x", "--owner", "y",
                   "--redirect-uri", REDIRECT, "--scope", "openid  bad\"",
                   check=False)
    assert r.returncode != 0


@pytest.mark.parametrize("option", ["--name", "--owner"])
def test_client_text_must_be_utf8(db, option):
    """A name that is not UTF-8 would break every JSON list it is in."""
    args = {"--name": "x", "--owner": "y"}
    args[option] = "bad\udcffname"     # the byte 0xff on the command line
    r = db.cli("client", "add", "--name", args["--name"], "--owner",
               args["--owner"], "--redirect-uri", REDIRECT, check=False)
    assert r.returncode != 0 and "printable" in r.stderr, r.stderr


def test_user_profile_must_be_utf8(db):
    db.cli("user", "add", "--username", "utf8-bob", "--password-stdin",
           input="correct horse battery\n")
    r = db.cli("user", "profile", "utf8-bob", "--name", "B\udcffb",
               check=False)
    assert r.returncode != 0, r.stdout
    r = db.cli("user", "profile", "utf8-bob", "--name", "B\u00f6b")
    assert r.returncode == 0


def test_user_profile_name_refusals_say_why(db):
    """A tab in --name was refused as "too long"."""
    db.cli("user", "add", "--username", "tab-bob", "--password-stdin",
           input="correct horse battery\n")
    r = db.cli("user", "profile", "tab-bob", "--name", "Bob\tB",
               check=False)
    assert r.returncode != 0
    assert "control characters" in r.stderr, r.stderr
    assert "too long" not in r.stderr, r.stderr
    r = db.cli("user", "profile", "tab-bob", "--name", "B" * 128,
               check=False)
    assert r.returncode != 0 and "too long" in r.stderr, r.stderr
    r = db.cli("user", "profile", "tab-bob", "--name", "B" * 127)
    assert db.query("SELECT name FROM users WHERE username = 'tab-bob'") \
        == [("B" * 127,)]


# -- users -----------------------------------------------------------------
@pytest.mark.parametrize("pw", ["short", "1234567", ""])
def test_user_add_refuses_short_password(db, pw):
    server = db
    r = server.cli("user", "add", "--username", "bob", "--password-stdin",
                   input=pw + "\n", check=False)
    assert r.returncode != 0
    assert server.query("SELECT count(*) FROM users WHERE username='bob'") \
        == [(0,)]


def test_user_add_password_never_on_command_line(db):
    server = db
    r = server.cli("user", "add", "--username", "bob", "--password",
                   "correct horse battery", check=False)
    assert r.returncode != 0


def test_user_password_stored_as_argon2id(db):
    server = db
    (h,), = server.query("SELECT password_hash FROM users "
                         "WHERE username = 'alice'")
    assert h.startswith("$argon2id$")
    assert "correct horse battery" not in h


def test_duplicate_user_refused(db):
    server = db
    r = server.cli("user", "add", "--username", "alice", "--password-stdin",
                   input="another good password\n", check=False)
    assert r.returncode != 0


def test_user_changes_say_what_changed(db):
    """disable, enable and profile all left the same user.changed event
    with no detail: the trail could not tell a disable from an email
    re-pointed by an insider."""
    s = db
    s.add_user("carol")
    s.cli("user", "disable", "carol")
    s.cli("user", "enable", "carol")
    s.cli("user", "profile", "carol", "--email", "carol@example.com",
          "--email-verified")
    s.cli("user", "profile", "carol", "--name", "Carol C")
    s.cli("user", "profile", "carol", "--email", "c2@example.com")
    s.cli("user", "passwd", "carol", input="another long password\n")
    (uid,), = s.query("SELECT id FROM users WHERE username = 'carol'")
    rows = s.query("SELECT type, detail FROM audit_events WHERE user_id = ?"
                   " ORDER BY seq", uid)
    got = [(t, json.loads(d) if d else None) for t, d in rows]
    assert got == [
        ("user.created", None),
        ("user.changed", {"status": "disabled"}),
        ("user.changed", {"status": "active"}),
        ("user.changed", {"changed": ["email", "email_verified"],
                          "email": "carol@example.com",
                          "email_verified": True}),
        ("user.changed", {"changed": ["name"],
                          "email": "carol@example.com",
                          "email_verified": True}),
        ("user.changed", {"changed": ["email", "email_verified"],
                          "email": "c2@example.com",
                          "email_verified": False}),
        ("user.password_changed", None)], got
    for _, d in rows:     # never password material
        assert "argon2" not in (d or "") and "another" not in (d or "")


def test_user_list_json_is_json_lines(db):
    """`user list --json` was taken and ignored: it printed the text
    table and exited 0, so a script reading JSON lines got none."""
    s = db
    s.add_user("dave")
    r = s.cli("user", "list", "--json")
    users = [json.loads(l) for l in r.stdout.splitlines()]
    (uid,), = s.query("SELECT id FROM users WHERE username = 'dave'")
    assert {"id": uid, "username": "dave", "status": "active"} in users
    assert all(set(u) == {"id", "username", "status"} for u in users)
    assert "argon2" not in r.stdout


def user_status_of(s, username):
    users = [json.loads(l) for l in
             s.cli("user", "list", "--json").stdout.splitlines()]
    return next(u["status"] for u in users if u["username"] == username)


def test_a_user_disable_goes_through_when_its_event_cannot_be_stored(
        server):
    """A disable removes access: it takes effect even when its
    user.changed event cannot be stored (her sessions end too), and the
    command exits 1 naming the lost event."""
    s = server
    b = Browser(s)
    assert is_consent(b.login(b.get(fresh_params(s.confidential))))
    assert count(s, "sessions") == 1
    fail_audit_of(s, "user.changed")
    r = s.cli("user", "disable", "alice", check=False)
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert "audit event could not be stored" in r.stderr, r.stderr
    assert user_status_of(s, "alice") == "disabled"
    assert count(s, "sessions") == 0
    b = Browser(s)
    assert not is_consent(b.login(b.get(fresh_params(s.confidential))))
    assert "user.changed" not in s.audit_types()


def test_a_user_enable_the_trail_cannot_record_is_not_made(server):
    """An enable restores access: it is made only together with its
    user.changed event, in one transaction. With the event refused, alice
    stays disabled and cannot sign in, and the command says nothing was
    done."""
    s = server
    s.cli("user", "disable", "alice")
    fail_audit_of(s, "user.changed")
    r = s.cli("user", "enable", "alice", check=False)
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert "done" not in r.stdout
    assert "nothing done" in r.stderr, r.stderr
    assert user_status_of(s, "alice") == "disabled"
    b = Browser(s)
    assert not is_consent(b.login(b.get(fresh_params(s.confidential))))
    assert s.audit_types().count("user.changed") == 1


def test_a_user_passwd_the_trail_cannot_record_is_not_made(server):
    """An admin setting a password lets whoever knows it sign in as the
    user: it is made only together with its user.password_changed event,
    in one transaction (before, when the event could not be stored, the
    password was changed all the same and the trail did not show it).
    With the event refused, alice's old password still signs in and her
    session lives on, the new one does not sign in, and the command says
    nothing was done."""
    s = server
    new = "an unrecorded new password"
    b = Browser(s)
    assert is_consent(b.login(b.get(fresh_params(s.confidential))))
    fail_audit_of(s, "user.password_changed")
    r = s.cli("user", "passwd", "alice", "--password-stdin",
              input=new + "\n", check=False)
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert r.stdout == "", r.stdout
    assert "nothing done" in r.stderr, r.stderr
    assert new not in r.stderr and "argon2" not in r.stderr, r.stderr
    assert count(s, "sessions") == 1
    b = Browser(s)
    assert not is_consent(b.login(b.get(fresh_params(s.confidential)),
                                  password=new))
    b = Browser(s)
    assert is_consent(b.login(b.get(fresh_params(s.confidential))))
    assert "user.password_changed" not in s.audit_types()
    let_audit_through(s)
    s.cli("user", "passwd", "alice", "--password-stdin", input=new + "\n")
    b = Browser(s)
    assert is_consent(b.login(b.get(fresh_params(s.confidential)),
                              password=new))
    assert s.audit_types().count("user.password_changed") == 1


def test_a_user_profile_the_trail_cannot_record_is_not_made(server):
    """The name and email become ID-token and userinfo claims that
    relying parties may key accounts on: `user profile` is made only
    together with its user.changed event, in one transaction. With the
    event refused the profile is as it was and the command says nothing
    was done."""
    s = server

    def profile():
        return s.query("SELECT name, email, email_verified FROM users "
                       "WHERE username = 'alice'")

    before = profile()
    fail_audit_of(s, "user.changed")
    r = s.cli("user", "profile", "alice", "--name", "Mallory", "--email",
              "mallory@example.com", "--email-verified", check=False)
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert r.stdout == "", r.stdout
    assert "nothing done" in r.stderr, r.stderr
    assert profile() == before
    assert "user.changed" not in s.audit_types()
    let_audit_through(s)
    s.cli("user", "profile", "alice", "--name", "Mallory", "--email",
          "mallory@example.com")
    (name, email, _), = profile()
    assert (name, email) == ("Mallory", "mallory@example.com")
    assert s.audit_types().count("user.changed") == 1


def test_grant_revoke_of_an_unknown_client_fails(db):
    """A mistyped --client said "0 grant(s) revoked" and exited 0, with
    no audit event: it read like a done revocation."""
    s = db
    before = s.audit_types().count("grant.revoked")
    r = s.cli("grant", "revoke", "--client", "cl_typo", "--reason", "leak",
              check=False)
    assert r.returncode == 1, r.stdout
    assert "no such client" in r.stderr and "revoked" not in r.stdout
    # a real client with nothing to revoke is no error
    r = s.cli("grant", "revoke", "--client", s.confidential["client_id"],
              "--reason", "leak")
    assert r.stdout.strip() == "0 grant(s) revoked"
    assert s.audit_types().count("grant.revoked") == before


# -- options a subcommand does not take ------------------------------------
def client_status_of(s, client_id):
    return json.loads(s.cli("client", "show", client_id).stdout)["status"]


@pytest.mark.parametrize("args,option", [
    (("client", "disable", "{client}", "--bogus"), "--bogus"),
    (("client", "disable", "{client}", "--json"), "--json"),
    (("client", "show", "{client}", "--reason", "x"), "--reason"),
    (("client", "list", "--all"), "--all"),
    (("keys", "list", "--alg", "RS256"), "--alg"),
    (("keys", "rotate", "--json"), "--json"),
    (("grant", "revoke", "--client", "{client}", "--reason", "x", "--json"),
     "--json"),
    (("alert", "list", "--by", "bob"), "--by"),
    (("user", "disable", "alice", "--email", "e@example.com"), "--email"),
    (("user", "list", "--name", "x"), "--name"),
    (("admin", "disable", "nobody", "--json"), "--json"),
    (("audit", "export", "--anchor", "1:00"), "--anchor"),
])
def test_an_option_a_subcommand_does_not_take_is_refused(db, args, option):
    """Options were parsed per command and ignored where the subcommand
    had no use for them: `client disable ID --reason X` exited 0 with the
    reason recorded nowhere, `keys list --alg RS256` listed every key.
    Now exit 2, the option and the subcommand named, nothing done."""
    s = db
    cid = s.confidential["client_id"]
    events = len(s.audit_types())
    r = s.cli(*[a.format(client=cid) for a in args], check=False)
    assert r.returncode == 2, (args, r.returncode, r.stdout, r.stderr)
    sub = " ".join(args[:2])
    assert "%s does not take %s" % (sub, option) in r.stderr, r.stderr
    assert r.stdout == ""
    assert len(s.audit_types()) == events
    assert client_status_of(s, cid) == "active"
    assert s.query("SELECT status FROM users WHERE username = 'alice'") \
        == [("active",)]


def test_refused_option_revokes_no_grant(server):
    """`grant revoke --client ID --reason R --json` revoked and printed
    text: now it is refused before anything is revoked."""
    from conftest import get_code
    c = server.confidential
    code, verifier, _ = get_code(server, c)
    t = token_request(server, c, {"grant_type": "authorization_code",
                                  "code": code, "code_verifier": verifier,
                                  "redirect_uri": REDIRECT})
    assert t.status_code == 200, t.text

    def live():
        return server.cli("grant", "list", "--client",
                          c["client_id"]).stdout.splitlines()[1:]

    assert len(live()) == 1
    r = server.cli("grant", "revoke", "--client", c["client_id"], "--reason",
                   "leak", "--json", check=False)
    assert r.returncode == 2 and "--json" in r.stderr, r.stderr
    assert len(live()) == 1
    assert "grant.revoked" not in server.audit_types()


def test_client_disable_and_enable_record_a_reason(db):
    """A reason given to `client disable` was accepted and recorded
    nowhere: the trail should say why an integration was cut off."""
    s = db
    cid = json.loads(client_add(s, "--json").stdout)["client_id"]
    s.cli("client", "disable", cid, "--reason", "owner left; ticket 42")
    s.cli("client", "enable", cid, "--reason", "new owner: ops")
    s.cli("client", "disable", cid)
    rows = s.query("SELECT detail FROM audit_events WHERE client_id = ? AND"
                   " type = 'client.changed' ORDER BY seq", cid)
    assert [json.loads(d) for d, in rows] == [
        {"status": "disabled", "reason": "owner left; ticket 42"},
        {"status": "active", "reason": "new owner: ops"},
        {"status": "disabled"}]
    r = s.cli("client", "enable", cid, "--reason", "", check=False)
    assert r.returncode == 2 and "--reason" in r.stderr
    assert client_status_of(s, cid) == "disabled"


def test_a_client_enable_the_trail_cannot_record_is_not_made(server):
    """client enable restores access: made only with its client.changed
    event, in one transaction (before, when the event could not be
    stored, the client was enabled all the same and the trail did not
    show it). client disable removes access: it takes effect without its
    event, and exits 1 naming the lost one."""
    s = server
    cid = s.confidential["client_id"]
    fail_audit_of(s, "client.changed")
    r = s.cli("client", "disable", cid, "--reason", "test", check=False)
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert "audit event could not be stored" in r.stderr, r.stderr
    assert client_status_of(s, cid) == "disabled"
    r = s.cli("client", "enable", cid, check=False)
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert "now active" not in r.stdout
    assert "nothing done" in r.stderr, r.stderr
    assert client_status_of(s, cid) == "disabled"
    assert s.query("SELECT count(*) FROM audit_events WHERE type = "
                   "'client.changed'") == [(0,)]
    let_audit_through(s)
    s.cli("client", "enable", cid)
    assert client_status_of(s, cid) == "active"
    assert s.query("SELECT detail FROM audit_events WHERE type = "
                   "'client.changed'") == [('{"status":"active"}',)]


def let_audit_through(s):
    """Drop the trigger fail_audit_of made."""
    s.execute("DROP TRIGGER gh_test_fail" + (" ON audit_events" if s.pg
                                             else ""))


def listed(s, what, key):
    """The `key` of each row `<what> list --json` shows, as a set (lists
    are in creation order, ties by id)."""
    return {json.loads(l)[key] for l in
            s.cli(what, "list", "--json").stdout.splitlines() if l.strip()}


def test_a_client_add_the_trail_cannot_record_is_not_made(server):
    """client add makes an integration that can be granted access: it is
    made only with its client.created event, in one transaction (before,
    when the event could not be stored, the client was made and its
    secret printed all the same, and the trail did not show it)."""
    s = server
    before = listed(s, "client", "client_id")
    fail_audit_of(s, "client.created")
    r = client_add(s, "--json", name="Unrecorded app", check=False)
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert r.stdout == "" and "gate_cs_" not in r.stderr, r.stdout
    assert "nothing done" in r.stderr, r.stderr
    assert listed(s, "client", "client_id") == before
    assert s.query("SELECT count(*) FROM clients WHERE name = "
                   "'Unrecorded app'") == [(0,)]
    let_audit_through(s)
    out = json.loads(client_add(s, "--json", name="Unrecorded app").stdout)
    assert out["client_secret"].startswith("gate_cs_")
    assert listed(s, "client", "client_id") == before | {out["client_id"]}
    assert s.query("SELECT client_id FROM audit_events WHERE type = "
                   "'client.created' AND client_id = ?",
                   out["client_id"]) == [(out["client_id"],)]


def test_a_user_add_the_trail_cannot_record_is_not_made(server):
    """user add makes a login: it is made only with its user.created
    event, in one transaction. With the event refused there is no bob, he
    cannot sign in, and the command says nothing was done."""
    s = server
    fail_audit_of(s, "user.created")
    r = s.cli("user", "add", "--username", "bob", "--password-stdin",
              input=PASSWORD + "\n", check=False)
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert r.stdout == "", r.stdout
    assert "nothing done" in r.stderr, r.stderr
    assert "bob" not in listed(s, "user", "username")
    b = Browser(s)
    assert not is_consent(b.login(b.get(fresh_params(s.confidential)),
                                  username="bob"))
    let_audit_through(s)
    s.add_user("bob")
    b = Browser(s)
    assert is_consent(b.login(b.get(fresh_params(s.confidential)),
                              username="bob"))
    assert s.audit_types().count("user.created") == 2    # alice's, bob's


def test_an_admin_add_the_trail_cannot_record_is_not_made(server):
    """admin add mints an admin API credential: it is made only with its
    admin.created event, in one transaction (before, when the event could
    not be stored, the admin was made and its working credential printed,
    and the trail did not show it)."""
    s = server
    fail_audit_of(s, "admin.created")
    for extra in ((), ("--json",)):
        r = s.cli("admin", "add", "--name", "ops", *extra, check=False)
        printed = re.findall(r"gate_adm_[A-Za-z0-9_-]+", r.stdout + r.stderr)
        assert printed == [], r.stdout
        assert r.returncode == 1, (r.stdout, r.stderr)
        assert "nothing done" in r.stderr, r.stderr
    assert listed(s, "admin", "name") == set()
    let_audit_through(s)
    cred = add_admin(s, "ops")
    assert api(s, cred, "GET", "inventory").status_code == 200
    assert s.query("SELECT detail FROM audit_events WHERE type = "
                   "'admin.created'") == [('{"admin":"ops"}',)]


def test_repeated_disable_or_enable_changes_nothing(db):
    """A disable of a disabled client said "is now disabled" and wrote
    another client.changed event, as if it had cut something off."""
    s = db
    cid = json.loads(client_add(s, "--json").stdout)["client_id"]

    def changes():
        return s.query("SELECT count(*) FROM audit_events WHERE client_id = ?"
                       " AND type = 'client.changed'", cid)[0][0]

    (updated,), = s.query("SELECT updated_at FROM clients WHERE id = ?", cid)
    r = s.cli("client", "enable", cid)
    assert r.stdout.strip() == "client %s is already active" % cid
    assert changes() == 0
    s.cli("client", "disable", cid)
    assert changes() == 1
    for _ in range(2):
        r = s.cli("client", "disable", cid, "--reason", "again")
        assert r.returncode == 0
        assert r.stdout.strip() == "client %s is already disabled" % cid
    assert changes() == 1
    s.cli("client", "enable", cid)
    r = s.cli("client", "enable", cid)
    assert r.stdout.strip() == "client %s is already active" % cid
    assert changes() == 2
    assert client_status_of(s, cid) == "active"


def test_grant_revoke_of_an_unknown_grant_says_so(db):
    """An unknown grant id printed "0 grant(s) revoked" on stdout and
    exited 1 with nothing on stderr."""
    s = db
    before = s.audit_types().count("grant.revoked")
    r = s.cli("grant", "revoke", "gr_nope", "--reason", "leak", check=False)
    assert r.returncode == 1
    assert "no such grant: gr_nope" in r.stderr, r.stderr
    assert r.stdout == ""
    assert s.audit_types().count("grant.revoked") == before


def test_usage_shows_the_options_commands_take(db):
    """The usage text lacked --json on client list, rotate-secret and user
    list, and --reason on client disable."""
    r = db.cli("--help")
    for line in ("client list [--json]",
                 "client rotate-secret CLIENT_ID [--json]",
                 "client disable|enable CLIENT_ID [--reason TEXT]",
                 "user list [--json]"):
        assert line in r.stdout, (line, r.stdout)


def test_a_change_whose_audit_event_fails_is_not_reported_as_done(tmp_path):
    """The admin command has no request to fail: when the change is made
    but its audit event cannot be stored, it says so and exits 1. (What
    grants access, client enable and add, user enable and add, admin add,
    is made only with its event: see the
    *_the_trail_cannot_record_is_not_made tests.)"""
    s = Server(tmp_path)
    c = s.add_client(name="Audited app")
    if s.pg:
        s.execute("CREATE FUNCTION gh_test_fail() RETURNS trigger AS $$"
                  " BEGIN RAISE EXCEPTION 'injected'; END $$"
                  " LANGUAGE plpgsql",
                  "CREATE TRIGGER gh_test_fail BEFORE INSERT ON"
                  " audit_events FOR EACH ROW EXECUTE FUNCTION"
                  " gh_test_fail()")
    else:
        s.execute("CREATE TRIGGER gh_test_fail BEFORE INSERT ON"
                  " audit_events BEGIN SELECT RAISE(ABORT, 'injected'); END")
    for args in (("client", "disable", c["client_id"]),
                 ("client", "quarantine", c["client_id"], "--reason",
                  "stolen secret")):
        r = s.cli(*args, check=False)
        assert r.returncode == 1, (args, r.stdout, r.stderr)
        assert "audit event could not be stored" in r.stderr, r.stderr
    # the changes were made all the same
    assert s.query("SELECT status FROM clients WHERE id = ?",
                   c["client_id"]) == [("quarantined",)]


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_list_that_could_not_be_written_is_no_success(db):
    """A full disk under a redirected list: the output is cut short, so
    the command must not exit 0 (a script would take the list as whole)."""
    for args in (("client", "list"), ("client", "list", "--json"),
                 ("user", "list"), ("grant", "list"), ("admin", "list"),
                 ("audit", "export")):
        with open("/dev/full", "w") as full:
            r = subprocess.run([BIN, "--config", db.conf] + list(args),
                               stdout=full, stderr=subprocess.PIPE,
                               text=True, timeout=60)
        assert r.returncode == 1, (args, r.stderr)
        assert "could not write the output" in r.stderr, r.stderr
