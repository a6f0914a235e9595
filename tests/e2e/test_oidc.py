"""OpenID Connect core, end to end: the ID token of the code flow for an
RS256 client and an ES256 client, verified with authlib against /jwks
(signature, alg, kid, iss, aud, sub, exp, iat, auth_time, nonce, at_hash);
sub is the stable user id; discovery at both well-known paths; the JWKS
document itself."""
import re
import time

import pytest
import requests
from authlib.oidc.discovery import OpenIDProviderMetadata

from conftest import Browser
from helpers_oidc import (PRIVATE_MEMBERS, add_oidc_client, get_jwks,
                          jwt_header, oidc_flow, user_id, verify_id_token)

NONCE = "n-0S6_WzA2Mj"
WELL_KNOWN = ("/.well-known/openid-configuration",
              "/.well-known/oauth-authorization-server")


# -- the ID token ----------------------------------------------------------
@pytest.mark.parametrize("alg,kty", [("RS256", "RSA"), ("ES256", "EC")])
def test_id_token_verifies_with_jwks(server, alg, kty):
    c = add_oidc_client(server, alg)
    before = int(time.time())
    tok, _ = oidc_flow(server, c, scope="openid profile", nonce=NONCE)
    assert tok["token_type"] == "Bearer"
    assert set(tok["scope"].split()) == {"openid", "profile"}
    jwks = get_jwks(server)
    claims, header = verify_id_token(server, c, tok, nonce=NONCE, jwks=jwks)
    key = [k for k in jwks["keys"] if k["kid"] == header["kid"]][0]
    assert key["kty"] == kty and key["alg"] == alg, key
    if alg == "ES256":
        assert key["crv"] == "P-256", key
    assert claims["sub"] == user_id(server)
    assert claims["sub"] != "alice"
    # a fresh login: auth_time is now (within the flow)
    assert before - 1 <= claims["auth_time"] <= claims["iat"]


def test_default_alg_is_rs256(server):
    c = add_oidc_client(server)    # no --id-token-alg
    tok, _ = oidc_flow(server, c, nonce=NONCE)
    assert jwt_header(tok["id_token"])["alg"] == "RS256"
    verify_id_token(server, c, tok, nonce=NONCE)


def test_public_client_gets_id_token(server):
    c = add_oidc_client(server, "ES256", public=True)
    tok, _ = oidc_flow(server, c, nonce=NONCE)
    verify_id_token(server, c, tok, nonce=NONCE)


def test_bad_id_token_alg_refused_at_registration(server):
    for alg in ("none", "HS256", "RS512", "es256"):
        r = server.cli("client", "add", "--name", "x", "--owner", "y",
                       "--redirect-uri", "http://127.0.0.1:9000/callback",
                       "--id-token-alg", alg, check=False)
        assert r.returncode != 0, alg
    assert server.query("SELECT count(*) FROM clients WHERE name = 'x'") == \
        [(0,)]


def test_sub_is_user_id_and_stable(server):
    rs = add_oidc_client(server, "RS256", name="RS app")
    es = add_oidc_client(server, "ES256", name="ES app")
    server.add_user("bob")
    uid = user_id(server)
    subs = []
    b = Browser(server)
    for client in (rs, rs, es):      # same session; then another client
        tok, b = oidc_flow(server, client, browser=b, nonce=NONCE)
        subs.append(verify_id_token(server, client, tok,
                                    nonce=NONCE)[0]["sub"])
    tok, _ = oidc_flow(server, rs, nonce=NONCE)  # a new browser and login
    subs.append(verify_id_token(server, rs, tok, nonce=NONCE)[0]["sub"])
    assert subs == [uid] * 4
    assert "alice" not in uid
    # another user: another sub, also never the username
    tok_b, _ = oidc_flow(server, rs, nonce=NONCE, username="bob")
    sub_b = verify_id_token(server, rs, tok_b, nonce=NONCE)[0]["sub"]
    assert sub_b == user_id(server, "bob") and sub_b != uid
    assert "bob" not in sub_b


def test_no_nonce_when_none_sent(server):
    c = add_oidc_client(server, "ES256")
    tok, b = oidc_flow(server, c)
    claims, _ = verify_id_token(server, c, tok, nonce=None)
    assert "nonce" not in claims
    # an empty nonce parameter is no nonce either
    tok, _ = oidc_flow(server, c, browser=b, nonce="")
    claims, _ = verify_id_token(server, c, tok, nonce=None)
    assert "nonce" not in claims


def test_nonce_passed_through_unmodified(server):
    c = add_oidc_client(server, "RS256")
    nonce = "Zz9 \"quoted\" <b>&amp; \u00e9\u4e2d +/="
    tok, _ = oidc_flow(server, c, nonce=nonce)
    claims, _ = verify_id_token(server, c, tok, nonce=nonce)
    assert claims["nonce"] == nonce


def test_longest_nonce_passed_through(server):
    c = add_oidc_client(server, "ES256")
    nonce = ("abcdefghijklmnopqrstuvwxyz0123456789-_" * 14)[:512]
    tok, _ = oidc_flow(server, c, nonce=nonce)
    assert verify_id_token(server, c, tok, nonce=nonce)[0]["nonce"] == nonce


def test_each_flow_its_own_nonce_and_at_hash(server):
    c = add_oidc_client(server, "RS256")
    t1, b = oidc_flow(server, c, nonce="first")
    t2, _ = oidc_flow(server, c, browser=b, nonce="second")
    c1, _ = verify_id_token(server, c, t1, nonce="first")
    c2, _ = verify_id_token(server, c, t2, nonce="second")
    assert c1["at_hash"] != c2["at_hash"]
    assert c1["sub"] == c2["sub"]


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
def test_at_hash_of_jwt_access_token(server, alg):
    """With RFC 9068 access tokens the at_hash covers the whole JWT."""
    c = add_oidc_client(server, alg, extra=("--access-token-format", "jwt"))
    tok, _ = oidc_flow(server, c, nonce=NONCE)
    assert tok["access_token"].count(".") == 2
    claims, header = verify_id_token(server, c, tok, nonce=NONCE)
    assert jwt_header(tok["access_token"])["kid"] == header["kid"]


def test_no_id_token_without_openid(server):
    c = add_oidc_client(server, "RS256")
    tok, _ = oidc_flow(server, c, scope="profile offline_access")
    assert "id_token" not in tok
    assert "access_token" in tok


# -- discovery ---------------------------------------------------------------
def test_discovery_same_document_at_both_paths(server):
    docs = []
    for path in WELL_KNOWN:
        r = requests.get(server.base + path)
        assert r.status_code == 200, (path, r.text)
        assert r.headers["Content-Type"].startswith("application/json")
        docs.append(r.json())
    assert docs[0] == docs[1]
    m = docs[0]
    assert m["issuer"] == server.issuer
    assert m["jwks_uri"] == server.issuer + "/jwks"
    assert m["userinfo_endpoint"] == server.issuer + "/userinfo"
    for k in ("authorization_endpoint", "token_endpoint"):
        assert m[k].startswith(server.issuer + "/"), m[k]
    assert sorted(m["id_token_signing_alg_values_supported"]) == \
        ["ES256", "RS256"]
    assert len(m["id_token_signing_alg_values_supported"]) == 2
    # "none" is advertised for nothing that signs
    for k, v in m.items():
        if k.endswith("_alg_values_supported"):
            assert "none" not in v, (k, v)
            assert not any(a.startswith("HS") for a in v), (k, v)
    assert "openid" in m["scopes_supported"]
    assert "code" in m["response_types_supported"]
    assert "public" in m["subject_types_supported"]
    # the advertised endpoints are the live ones
    assert requests.get(m["jwks_uri"]).json() == get_jwks(server)
    assert requests.get(m["userinfo_endpoint"]).status_code == 401


def test_discovery_passes_authlib_validation(server, monkeypatch):
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")
    m = requests.get(server.base + WELL_KNOWN[0]).json()
    md = OpenIDProviderMetadata(m)
    md.validate()


# -- the JWKS ----------------------------------------------------------------
def test_jwks_document(server):
    r = requests.get(server.base + "/jwks")
    assert r.status_code == 200
    ct = r.headers["Content-Type"]
    assert ct.startswith("application/jwk-set+json") or \
        ct.startswith("application/json"), ct
    cc = r.headers.get("Cache-Control", "")
    m = re.search(r"(?:^|[ ,])max-age=(\d+)(?:$|[ ,])", cc)
    assert m and int(m.group(1)) > 0, cc
    assert "no-store" not in cc, cc
    keys = r.json()["keys"]
    assert isinstance(keys, list) and keys
    kids = [k["kid"] for k in keys]
    assert len(set(kids)) == len(kids), kids
    algs = set()
    for k in keys:
        assert k["kid"] and isinstance(k["kid"], str), k
        assert k["use"] == "sig", k
        assert k["alg"] in ("RS256", "ES256"), k
        algs.add(k["alg"])
        for priv in PRIVATE_MEMBERS:
            assert priv not in k, (priv, k)
        if k["alg"] == "RS256":
            assert k["kty"] == "RSA" and k["n"] and k["e"], k
            n = k["n"]
            assert len(n) >= 342, "RSA key shorter than 2048 bits"
        else:
            assert k["kty"] == "EC" and k["crv"] == "P-256", k
            assert k["x"] and k["y"], k
    assert algs == {"RS256", "ES256"}
    # nothing private anywhere in the text either
    assert '"d"' not in r.text
    # HEAD works, POST does not
    assert requests.head(server.base + "/jwks").status_code == 200
    assert requests.post(server.base + "/jwks").status_code == 405
