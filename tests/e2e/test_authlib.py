"""Interoperability with an independent client library: authlib's
OAuth2Session (PKCE S256) for client_secret_basic, client_secret_post and
public clients, and authlib's RFC 8414 metadata validator."""
import urllib.parse

import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.integrations.base_client.errors import OAuthError
from authlib.oauth2.rfc8414 import AuthorizationServerMetadata

from conftest import Browser, redirect_params
from helpers_token import AT_RE, RT_RE, is_active

SCOPE = "openid offline_access"


def endpoints(server):
    m = requests.get(server.base +
                     "/.well-known/oauth-authorization-server").json()
    return m


def browser_leg(server, url):
    """Drive the login and consent forms for an authorization URL built by
    authlib; return the redirect Location (the authorization response)."""
    q = urllib.parse.parse_qs(urllib.parse.urlparse(url).query)
    assert set(q) >= {"client_id", "response_type", "redirect_uri", "scope",
                      "state", "code_challenge", "code_challenge_method"}
    params = {k: v[0] for k, v in q.items()}
    r = Browser(server).authorize(params)
    assert r.status_code in (302, 303), r.text
    loc, rq = redirect_params(r)
    assert "code" in rq, loc
    assert rq["iss"] == [server.issuer]
    return loc


def session_for(client, **kw):
    return OAuth2Session(client["client_id"], client.get("client_secret"),
                         scope=SCOPE, redirect_uri=client["redirect_uri"],
                         code_challenge_method="S256", **kw)


def run_flow(server, client, sess):
    m = endpoints(server)
    verifier = generate_token(64)
    url, state = sess.create_authorization_url(
        m["authorization_endpoint"], code_verifier=verifier)
    q = urllib.parse.parse_qs(urllib.parse.urlparse(url).query)
    assert q["code_challenge_method"] == ["S256"]
    loc = browser_leg(server, url)
    token = sess.fetch_token(m["token_endpoint"], authorization_response=loc,
                             code_verifier=verifier, state=state)
    assert AT_RE.fullmatch(token["access_token"])
    assert RT_RE.fullmatch(token["refresh_token"])
    assert token["token_type"] == "Bearer"
    assert set(token["scope"].split()) == set(SCOPE.split())
    return m, token


def test_authlib_client_secret_basic(server):
    c = server.confidential
    sess = session_for(c)
    assert sess.token_endpoint_auth_method == "client_secret_basic"
    m, t0 = run_flow(server, c, sess)
    assert is_active(server, t0["access_token"])

    t1 = sess.refresh_token(m["token_endpoint"],
                            refresh_token=t0["refresh_token"])
    assert t1["refresh_token"] != t0["refresh_token"]
    assert t1["access_token"] != t0["access_token"]
    assert not is_active(server, t0["refresh_token"])

    i = sess.introspect_token(m["introspection_endpoint"],
                              token=t1["access_token"])
    assert i.status_code == 200 and i.json()["active"] is True

    r = sess.revoke_token(m["revocation_endpoint"],
                          token=t1["refresh_token"],
                          token_type_hint="refresh_token")
    assert r.status_code == 200, r.text
    assert not is_active(server, t1["refresh_token"])
    assert not is_active(server, t1["access_token"])
    with pytest.raises(OAuthError) as e:
        sess.refresh_token(m["token_endpoint"],
                           refresh_token=t1["refresh_token"])
    assert e.value.error == "invalid_grant"


def test_authlib_client_secret_post(server):
    c = server.add_client(name="Post app", auth_method="client_secret_post")
    sess = session_for(c, token_endpoint_auth_method="client_secret_post",
                       revocation_endpoint_auth_method="client_secret_post")
    m, t0 = run_flow(server, c, sess)
    t1 = sess.refresh_token(m["token_endpoint"],
                            refresh_token=t0["refresh_token"])
    assert RT_RE.fullmatch(t1["refresh_token"])
    r = sess.revoke_token(m["revocation_endpoint"], token=t1["access_token"],
                          token_type_hint="access_token")
    assert r.status_code == 200, r.text
    assert not is_active(server, t1["access_token"], c)
    assert is_active(server, t1["refresh_token"], c)


def test_authlib_wrong_method_is_invalid_client(server):
    """A client_secret_post client configured in authlib as basic fails."""
    c = server.add_client(name="Post app", auth_method="client_secret_post")
    sess = session_for(c)      # authlib defaults to client_secret_basic
    m = endpoints(server)
    verifier = generate_token(64)
    url, state = sess.create_authorization_url(
        m["authorization_endpoint"], code_verifier=verifier)
    loc = browser_leg(server, url)
    with pytest.raises(OAuthError) as e:
        sess.fetch_token(m["token_endpoint"], authorization_response=loc,
                         code_verifier=verifier, state=state)
    assert e.value.error == "invalid_client"


def test_authlib_public_client(server):
    c = server.public
    sess = session_for(c)
    assert sess.token_endpoint_auth_method == "none"
    m, t0 = run_flow(server, c, sess)
    t1 = sess.refresh_token(m["token_endpoint"],
                            refresh_token=t0["refresh_token"])
    r = sess.revoke_token(m["revocation_endpoint"], token=t1["refresh_token"])
    assert r.status_code == 200, r.text
    with pytest.raises(OAuthError) as e:
        sess.refresh_token(m["token_endpoint"],
                           refresh_token=t1["refresh_token"])
    assert e.value.error == "invalid_grant"


def test_authlib_wrong_verifier_is_refused(server):
    c = server.confidential
    sess = session_for(c)
    m = endpoints(server)
    verifier = generate_token(64)
    url, state = sess.create_authorization_url(
        m["authorization_endpoint"], code_verifier=verifier)
    loc = browser_leg(server, url)
    with pytest.raises(OAuthError) as e:
        sess.fetch_token(m["token_endpoint"], authorization_response=loc,
                         code_verifier=generate_token(64), state=state)
    assert e.value.error == "invalid_grant"


def test_metadata_passes_authlib_validation(server, monkeypatch):
    # the test issuer is plain http on loopback
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")
    md = AuthorizationServerMetadata(endpoints(server))
    md.validate()
    assert md["issuer"] == server.issuer
