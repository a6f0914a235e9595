"""Helpers for the admin API, console and connected-apps tests: an admin
credential from the admin command, calls to the API, and tokens minted
through the real browser and token legs."""
import json
import re

import requests

from conftest import get_code, token_request


def add_admin(server, name="ops"):
    out = json.loads(server.cli("admin", "add", "--name", name,
                                "--json").stdout)
    assert out["name"] == name and out["credential"].startswith("gate_adm_")
    return out["credential"]


def api(server, cred, method, path, **kw):
    headers = kw.pop("headers", {})
    if cred is not None:
        headers["Authorization"] = "Bearer " + cred
    return requests.request(method, server.base + "/admin/api/" + path,
                            headers=headers, allow_redirects=False, **kw)


def redeem(server, client, **extra):
    code, verifier, _ = get_code(server, client, **extra)
    r = token_request(server, client, {
        "grant_type": "authorization_code", "code": code,
        "code_verifier": verifier, "redirect_uri": client["redirect_uri"]})
    assert r.status_code == 200, r.text
    return r.json()


def refresh(server, client, rt):
    r = token_request(server, client, {"grant_type": "refresh_token",
                                       "refresh_token": rt})
    assert r.status_code == 200, r.text
    return r.json()


def introspect(server, client, token):
    """Whether `token` is active, asked by its own (confidential) client:
    introspection answers only about the caller's tokens."""
    r = requests.post(server.base + "/introspect", data={"token": token},
                      auth=(client["client_id"], client["client_secret"]))
    assert r.status_code == 200, r.text
    return r.json()["active"]


def audit_rows(server, etype):
    return server.query(
        "SELECT actor, client_id, user_id, grant_id, remote_addr, detail "
        "FROM audit_events WHERE type = ? ORDER BY seq", etype)


def hidden(html, name):
    m = re.search(r'<input type="hidden" name="%s" value="([^"]*)">' %
                  re.escape(name), html)
    return m.group(1) if m else None


class Console:
    """An admin's browser on the console: forms, CSRF, cookies."""

    def __init__(self, server):
        self.server = server
        self.s = requests.Session()

    def get(self, path, **kw):
        return self.s.get(self.server.base + path, allow_redirects=False,
                          **kw)

    def post(self, path, data):
        return self.s.post(self.server.base + path, data=data,
                           allow_redirects=False)

    def csrf(self, path="/admin/login"):
        token = hidden(self.get(path).text, "csrf")
        assert token
        return token

    def login(self, cred):
        r = self.post("/admin/login", {"csrf": self.csrf(),
                                       "credential": cred})
        assert r.status_code == 303, r.text
        assert r.headers["Location"] == "/admin/inventory"
        return r

    def act(self, confirm_path, reason):
        """Open a confirmation page and submit its form with a reason."""
        page = self.get(confirm_path)
        assert page.status_code == 200, page.text
        data = {m.group(1): m.group(2) for m in re.finditer(
            r'<input type="hidden" name="([^"]*)" value="([^"]*)">',
            page.text)}
        data["reason"] = reason
        return self.post("/admin/action", data)
