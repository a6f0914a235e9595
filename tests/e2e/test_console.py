"""The admin web console: sign-in with an admin credential traded for a
hashed, expiring session cookie; CSRF on every form; confirmation before
quarantine and revocation; escaped output; the same security headers as
the authorization pages."""
import html
import json
import re
import urllib.parse

from conftest import await_secret
from helpers_admin import (Console, add_admin, audit_rows, hidden,
                           introspect, redeem, refresh)


def test_login_trades_the_credential_for_a_strict_cookie(server):
    cred = add_admin(server)
    c = Console(server)
    r = c.get("/admin")
    assert r.status_code == 303 and r.headers["Location"] == "/admin/login"
    r = c.post("/admin/login", {"csrf": c.csrf(), "credential": cred[:-1]})
    assert r.status_code == 401 and "not valid" in r.text
    assert audit_rows(server, "admin.login_failure")
    r = c.login(cred)
    cookie = [h for h in r.raw.headers.getlist("Set-Cookie")
              if h.startswith("gh_admin=")][0]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    value = cookie.split(";")[0].split("=", 1)[1]
    assert value.startswith("gate_as_")
    rows = server.query("SELECT admin, hash, expires_at - created_at "
                        "FROM admin_sessions")
    assert rows[0][0] == "ops" and len(rows[0][1]) == 32
    assert 0 < rows[0][2] <= 8 * 3600
    for raw in server.stored_bytes().values():     # files or pg_dump
        assert value.encode() not in raw and cred.encode() not in raw
    assert audit_rows(server, "admin.login")[-1][0] == "admin:ops"
    assert c.get("/admin/inventory").status_code == 200


def test_login_needs_csrf(server):
    cred = add_admin(server)
    c = Console(server)
    c.csrf()
    r = c.post("/admin/login", {"credential": cred})
    assert r.status_code == 403
    r = c.post("/admin/login", {"credential": cred, "csrf": "x" * 43})
    assert r.status_code == 403
    other = Console(server)
    r = other.post("/admin/login", {"credential": cred, "csrf": c.csrf()})
    assert r.status_code == 403    # a token bound to someone else's cookie
    assert server.query("SELECT count(*) FROM admin_sessions")[0][0] == 0


def test_pages_need_a_session_and_carry_security_headers(server):
    cred = add_admin(server)
    anon = Console(server)
    for path in ("/admin/inventory", "/admin/alerts",
                 "/admin/client?client_id=x",
                 "/admin/confirm?action=quarantine&client_id=x"):
        r = anon.get(path)
        assert r.status_code == 303 and r.headers["Location"] == \
            "/admin/login", path
    r = anon.post("/admin/action", {"action": "quarantine", "reason": "x",
                                    "client_id": server.public["client_id"]})
    assert r.status_code == 403
    c = Console(server)
    c.login(cred)
    r = c.get("/admin/inventory")
    csp = r.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "script-src" not in csp
    assert "default-src 'none'" in csp
    assert r.headers["X-Frame-Options"] == "DENY"
    assert r.headers["Cache-Control"] == "no-store"
    assert "<script" not in r.text


def test_inventory_sorts_and_escapes(server):
    cred = add_admin(server)
    server.add_client(name="<script>alert(1)</script>", owner="a&b")
    c = Console(server)
    c.login(cred)
    page = c.get("/admin/inventory").text
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "a&amp;b" in page
    risks = [int(x) for x in re.findall(
        r'<tr><td class="[^"]*">(\d+)</td>', page)]
    assert len(risks) == 3 and risks == sorted(risks, reverse=True)
    page = c.get("/admin/inventory?sort=name&order=asc").text
    names = [html.unescape(n) for n in re.findall(
        r'<a href="/admin/client\?client_id=[^"]*">([^<]*)</a>', page)]
    assert names == sorted(names)
    page = c.get("/admin/inventory?sort=name&order=desc").text
    names = [html.unescape(n) for n in re.findall(
        r'<a href="/admin/client\?client_id=[^"]*">([^<]*)</a>', page)]
    assert names == sorted(names, reverse=True)
    # an unknown column falls back to risk
    assert c.get("/admin/inventory?sort=%3Cx%3E").status_code == 200


def test_inventory_pages(server):
    """A page holds 500 apps from `offset`, in the chosen order, with
    links to the pages around it (here: 3 apps, from the second)."""
    cred = add_admin(server)
    server.add_client(name="zz third", owner="o")
    c = Console(server)
    c.login(cred)
    whole = c.get("/admin/inventory?sort=name&order=asc").text
    assert 'id="pages"' not in whole and "shown" not in whole
    page = c.get("/admin/inventory?sort=name&order=asc&offset=1").text
    assert "3 apps, 2 to 3 shown" in page
    names = re.findall(
        r'<a href="/admin/client\?client_id=[^"]*">([^<]*)</a>', page)
    assert names == re.findall(
        r'<a href="/admin/client\?client_id=[^"]*">([^<]*)</a>',
        whole)[1:]
    assert ('<a href="/admin/inventory?sort=name&amp;order=asc&amp;'
            'offset=0">Previous</a>') in page and ">Next<" not in page
    # past the end, or not a number: no rows, or the first page
    past = c.get("/admin/inventory?offset=99").text
    assert "3 apps, none past the last" in past and ">Previous<" in past
    assert "<tbody></tbody>" in past
    assert "shown" not in c.get("/admin/inventory?offset=x").text


def test_client_page_chart_and_quarantine_through_confirm(server):
    cred = add_admin(server)
    cl = server.confidential
    t = redeem(server, cl)
    refresh(server, cl, t["refresh_token"])
    t2 = redeem(server, cl)
    c = Console(server)
    c.login(cred)
    q = urllib.parse.quote(cl["client_id"])
    page = c.get("/admin/client?client_id=" + q).text
    assert "<svg" in page and "2 issued, 1 refreshed" in page
    assert "alice" in page and 'id="live-tokens">' in page
    assert c.get("/admin/client?client_id=nope").status_code == 404
    confirm = "/admin/confirm?action=quarantine&client_id=" + q
    form = c.get(confirm).text
    assert 'name="reason"' in form and "Quarantine client" in form
    # no CSRF token: refused, nothing happened
    r = c.post("/admin/action", {"action": "quarantine", "reason": "x",
                                 "client_id": cl["client_id"]})
    assert r.status_code == 403
    # a reason is required
    r = c.act(confirm, "")
    assert r.status_code == 400
    assert introspect(server, cl, t2["access_token"]) is True
    r = c.act(confirm, "compromised CI runner")
    assert r.status_code == 303
    assert r.headers["Location"].endswith("done=quarantined")
    page = c.get(r.headers["Location"]).text
    assert "Client quarantined" in page and "quarantined" in page
    assert 'id="live-tokens">0<' in page
    row = audit_rows(server, "client.quarantined")[-1]
    assert row[0] == "admin:ops" and row[4] == "127.0.0.1"
    assert json.loads(row[5])["reason"] == "compromised CI runner"
    # the old secret no longer authenticates, fresh tokens are dead too
    server.cli("client", "enable", cl["client_id"])
    fresh = dict(cl, client_secret=json.loads(server.cli(
        "client", "rotate-secret", cl["client_id"],
        "--json").stdout)["client_secret"])
    await_secret(server, cl["client_id"], fresh["client_secret"])
    assert introspect(server, fresh, t2["access_token"]) is False


def test_revoke_grant_and_ack_alert_from_console(server):
    cred = add_admin(server)
    cl = server.confidential
    t = redeem(server, cl)
    c = Console(server)
    c.login(cred)
    gid = server.query("SELECT id FROM grants")[0][0]
    q = urllib.parse.quote(cl["client_id"])
    r = c.act("/admin/confirm?action=revoke_grant&client_id=%s&grant_id=%s"
              % (q, urllib.parse.quote(gid)), "user left")
    assert r.status_code == 303 and "done=revoked" in r.headers["Location"]
    assert introspect(server, cl, t["access_token"]) is False
    assert audit_rows(server, "grant.revoked")[-1][0] == "admin:ops"
    # again: nothing left to revoke
    r = c.act("/admin/confirm?action=revoke_grant&client_id=%s&grant_id=%s"
              % (q, urllib.parse.quote(gid)), "again")
    assert r.status_code == 404
    # an alert from the quarantine of another client, acknowledged here
    server.cli("client", "quarantine", server.public["client_id"],
               "--reason", "drill")
    page = c.get("/admin/alerts").text
    assert "client_quarantined" in page
    data = {"csrf": hidden(page, "csrf"), "action": "ack",
            "id": re.search(r'name="id" value="(\d+)"', page).group(1),
            "back": "alerts"}
    r = c.post("/admin/action", data)
    assert r.status_code == 303 and r.headers["Location"].startswith(
        "/admin/alerts")
    assert "No alerts." in c.get("/admin/alerts").text
    assert "acknowledged by admin:ops" in c.get("/admin/alerts?all=1").text
    assert audit_rows(server, "alert.acknowledged")[-1][0] == "admin:ops"


def test_bad_console_input_is_4xx(server):
    cred = add_admin(server)
    c = Console(server)
    c.login(cred)
    token = c.csrf("/admin/inventory")
    q = urllib.parse.quote(server.public["client_id"])
    assert c.get("/admin/confirm?action=explode&client_id=" +
                 q).status_code == 400
    assert c.get("/admin/confirm?action=revoke_grant&client_id=" +
                 q).status_code == 400
    assert c.get("/admin/confirm?action=quarantine").status_code == 400
    assert c.get("/admin/confirm?action=quarantine&client_id=nope"
                 ).status_code == 404
    for data in ({"action": "nope"},
                 {"action": "quarantine", "client_id": "x" * 200,
                  "reason": "r"},
                 {"action": "quarantine", "reason": "r"},
                 {"action": "ack", "id": "x", "back": "alerts"}):
        data["csrf"] = token
        assert c.post("/admin/action", data).status_code == 400, data
    r = c.post("/admin/action", {"csrf": token, "action": "quarantine",
                                 "client_id": "nope", "reason": "r"})
    assert r.status_code == 404
    assert c.get("/admin/client").status_code == 400


def test_logout_and_disabled_admin_end_the_session(server):
    cred = add_admin(server)
    add_admin(server, "second")
    c = Console(server)
    c.login(cred)
    r = c.post("/admin/logout", {"csrf": c.csrf("/admin/inventory")})
    assert r.status_code == 303
    assert server.query("SELECT count(*) FROM admin_sessions")[0][0] == 0
    assert c.get("/admin/inventory").status_code == 303
    c.login(cred)
    server.cli("admin", "disable", "ops")
    r = c.get("/admin/inventory")
    assert r.status_code == 303 and r.headers["Location"] == "/admin/login"
    r = c.post("/admin/login", {"csrf": c.csrf(), "credential": cred})
    assert r.status_code == 401
