"""Per-client policies: RFC 9068 JWT access tokens and the nonce policy."""
import json

import requests
from authlib.jose import JsonWebKey, jwt

from conftest import (REDIRECT, Browser, Server, auth_params, get_code,
                      pkce_pair, redirect_params, token_request)


def add(server, *extra):
    out = json.loads(server.cli(
        "client", "add", "--name", "Policy app", "--owner", "team",
        "--redirect-uri", REDIRECT, "--scope", "openid offline_access",
        "--json", *extra).stdout)
    out.update(redirect_uri=REDIRECT, auth_method="client_secret_basic")
    return out


def redeem(server, client, **kw):
    code, verifier, _ = get_code(server, client, **kw)
    r = token_request(server, client, {
        "grant_type": "authorization_code", "code": code,
        "code_verifier": verifier, "redirect_uri": REDIRECT})
    assert r.status_code == 200, r.text
    return r.json()


def introspect(server, client, token):
    return requests.post(server.base + "/introspect", data={"token": token},
                         auth=(client["client_id"],
                               client["client_secret"])).json()


def test_jwt_access_token_is_rfc9068_and_still_revocable(tmp_path):
    s = Server(tmp_path)
    c = add(s, "--access-token-format", "jwt", "--id-token-alg", "ES256")
    s.add_user()
    s.start()
    try:
        tokens = redeem(s, c)
        at = tokens["access_token"]
        keys = JsonWebKey.import_key_set(requests.get(s.base + "/jwks").json())
        claims = jwt.decode(at, keys)
        claims.validate()
        assert claims.header["typ"] == "at+jwt"
        assert claims.header["alg"] == "ES256"
        assert claims["iss"] == s.issuer and claims["client_id"] == c["client_id"]
        assert claims["sub"].startswith("usr_")
        assert claims["scope"] == "openid offline_access"
        assert claims["jti"] and claims["exp"] > claims["iat"]
        assert introspect(s, c, at)["active"] is True
        requests.post(s.base + "/revoke", data={"token": at},
                      auth=(c["client_id"], c["client_secret"]))
        # signed and unexpired, yet dead: introspection checks the store
        assert introspect(s, c, at) == {"active": False}
        r = requests.get(s.base + "/userinfo",
                         headers={"Authorization": "Bearer " + at})
        assert r.status_code == 401
        # the database holds the hash only
        for data in s.stored_bytes().values():
            assert at.encode() not in data
    finally:
        assert s.stop() == 0


def test_opaque_is_the_default(server):
    tokens = redeem(server, server.confidential)
    assert tokens["access_token"].startswith("gate_at_")
    assert tokens["access_token"].count(".") == 0


def test_require_nonce_refuses_openid_requests_without_one(tmp_path):
    s = Server(tmp_path)
    c = add(s, "--require-nonce")
    s.add_user()
    s.start()
    try:
        _, challenge = pkce_pair()
        r = Browser(s).get(auth_params(c, challenge))
        _, q = redirect_params(r)
        assert q["error"] == ["invalid_request"]
        assert q["iss"] == [s.issuer]
        tokens = redeem(s, c, nonce="n-0S6_WzA2Mj")
        claims = jwt.decode(tokens["id_token"], JsonWebKey.import_key_set(
            requests.get(s.base + "/jwks").json()))
        assert claims["nonce"] == "n-0S6_WzA2Mj"
        shown = json.loads(s.cli("client", "show", c["client_id"]).stdout)
        assert shown["require_nonce"] is True
    finally:
        assert s.stop() == 0


def test_bad_access_token_format_is_refused(server):
    r = server.cli("client", "add", "--name", "x", "--owner", "o",
                   "--redirect-uri", REDIRECT, "--access-token-format",
                   "paseto", check=False)
    assert r.returncode != 0 and "access-token-format" in r.stderr
