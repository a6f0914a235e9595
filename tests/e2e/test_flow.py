"""The happy path: authorization code with PKCE, refresh, introspection,
revocation, for confidential and public clients."""
import requests

from conftest import get_code, token_request


def test_confidential_flow_issues_tokens(server):
    c = server.confidential
    code, verifier, q = get_code(server, c)
    assert q["state"] == ["st-123"]
    assert q["iss"] == [server.issuer]
    r = token_request(server, c, {"grant_type": "authorization_code",
                                  "code": code, "code_verifier": verifier,
                                  "redirect_uri": c["redirect_uri"]})
    assert r.status_code == 200, r.text
    assert r.headers["Cache-Control"] == "no-store"
    assert r.headers["Pragma"] == "no-cache"
    body = r.json()
    assert body["token_type"] == "Bearer"
    assert body["access_token"].startswith("gate_at_")
    assert body["refresh_token"].startswith("gate_rt_")
    i = requests.post(server.base + "/introspect",
                      data={"token": body["access_token"]},
                      auth=(c["client_id"], c["client_secret"])).json()
    assert i["active"] is True
    assert i["client_id"] == c["client_id"]
    assert set(i["scope"].split()) == {"openid", "offline_access"}


def test_public_client_flow(server):
    c = server.public
    code, verifier, _ = get_code(server, c)
    r = token_request(server, c, {"grant_type": "authorization_code",
                                  "code": code, "code_verifier": verifier,
                                  "redirect_uri": c["redirect_uri"]})
    assert r.status_code == 200, r.text
    assert "access_token" in r.json()
