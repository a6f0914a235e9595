"""The token endpoint and the authorization_code grant: transport rules,
grant types, PKCE, single use, bindings of the code, client authentication,
response headers and token format (RFC 6749 3.2, 4.1.3, 5.1, 5.2, 2.3.1;
RFC 7636 4.6; RFC 9700 4.5)."""
import base64
import hashlib
import time
import urllib.parse

import pytest
import requests

from conftest import PASSWORD, Browser, auth_params, await_client_status, \
    get_code, pkce_pair, redirect_params
from helpers_token import AT_RE, OTHER_REDIRECT, RT_RE, add_second_client, \
    assert_error, assert_failed_then_done, assert_invalid_client, \
    assert_no_store, assert_replays_budgeted, basic_header, concurrent_posts, exchange, fail_family_revocations, is_active, issue, \
    make_server, post, refresh  # noqa: F401

UNRESERVED_EXTRA = "-._~"


# -- transport: POST, form body, nothing in the URI --------------------------
def test_get_is_405(server):
    c = server.confidential
    r = requests.get(server.base + "/token",
                     params={"grant_type": "authorization_code"},
                     auth=(c["client_id"], c["client_secret"]))
    assert r.status_code == 405
    assert "POST" in r.headers.get("Allow", "")
    assert r.json()["error"] == "invalid_request"
    assert_no_store(r)


def test_json_body_is_invalid_request(server):
    c = server.confidential
    code, verifier, _ = get_code(server, c)
    r = requests.post(server.base + "/token", json={
        "grant_type": "authorization_code", "code": code,
        "code_verifier": verifier, "redirect_uri": c["redirect_uri"]},
        auth=(c["client_id"], c["client_secret"]))
    assert_error(r, 400, "invalid_request")
    # the code was not touched and still works with a proper form body
    assert exchange(server, c, code, verifier).status_code == 200


@pytest.mark.parametrize("where", ["grant", "credentials"])
def test_parameters_in_query_string_are_invalid_request(server, where):
    c = server.confidential
    code, verifier, _ = get_code(server, c)
    form = {"grant_type": "authorization_code", "code": code,
            "code_verifier": verifier, "redirect_uri": c["redirect_uri"]}
    if where == "grant":
        # everything in the URI, nothing in the body
        r = requests.post(server.base + "/token?" +
                          urllib.parse.urlencode(form),
                          data={}, auth=(c["client_id"], c["client_secret"]),
                          headers={"Content-Type":
                                   "application/x-www-form-urlencoded"})
    else:
        # a valid body, but the client secret travels in the URI
        q = urllib.parse.urlencode({"client_id": c["client_id"],
                                    "client_secret": c["client_secret"]})
        r = requests.post(server.base + "/token?" + q, data=form)
    assert_error(r, 400, "invalid_request")
    assert exchange(server, c, code, verifier).status_code == 200


# -- grant types ---------------------------------------------------------------
@pytest.mark.parametrize("gt", ["password", "client_credentials", "implicit",
                                "token", "urn:garbage:grant", "AUTHORIZATION_CODE"])
def test_unsupported_grant_types(server, gt):
    data = {"grant_type": gt, "username": "alice", "password": PASSWORD,
            "scope": "openid"}
    r = post(server, "/token", data, server.confidential)
    assert_error(r, 400, "unsupported_grant_type")
    assert "access_token" not in r.text


def test_missing_grant_type_is_invalid_request(server):
    c = server.confidential
    code, verifier, _ = get_code(server, c)
    r = post(server, "/token", {"code": code, "code_verifier": verifier,
                                "redirect_uri": c["redirect_uri"]}, c)
    assert_error(r, 400, "invalid_request")


# -- PKCE (RFC 7636 4.6) -------------------------------------------------------
def test_wrong_verifier_is_invalid_grant_and_leaves_code_unconsumed(server):
    """grant_code.c checks the verifier before store_code_redeem(): a wrong
    verifier is refused without consuming the code, so the legitimate client
    holding the right verifier can still redeem it (an attacker without the
    verifier cannot burn a stolen code)."""
    c = server.confidential
    code, verifier, _ = get_code(server, c)
    wrong, _ = pkce_pair()
    assert_error(exchange(server, c, code, wrong), 400, "invalid_grant")
    assert server.query("SELECT consumed_at FROM codes") == [(None,)]
    assert server.query("SELECT count(*) FROM tokens") == [(0,)]
    # what an intercepted code looks like (RFC 9700 4.5): on the record
    assert server.query("SELECT detail FROM audit_events "
                        "WHERE type = 'code.refused'") == [(
        '{"reason":"code_verifier","consumed":false,'
        '"presented_by":"its_client"}',)]
    r = exchange(server, c, code, verifier)
    assert r.status_code == 200, r.text
    assert server.query("SELECT consumed_at IS NOT NULL FROM codes") == [(1,)]


def test_codes_presented_without_their_verifier_are_audited_within_a_budget(
        server):
    """Whoever holds a code can present it with any verifier as often as
    they like: each refusal is recorded only within the budget of events
    an outsider causes, keyed by the code's grant (10 rows a window)."""
    c = server.public
    code, verifier, _ = get_code(server, c)
    for _ in range(25):
        assert_error(exchange(server, c, code, pkce_pair()[0]), 400,
                     "invalid_grant")
    assert server.audit_types().count("code.refused") == 10
    assert exchange(server, c, code, verifier).status_code == 200


@pytest.mark.parametrize("verifier", [
    "a" * 42,                       # too short (RFC 7636 4.1: 43..128)
    "a" * 129,                      # too long
    "a" * 42 + "+",                 # outside [A-Za-z0-9-._~]
    "a" * 42 + "=",
    "a" * 42 + "/",
    "a" * 42 + " ",
    "a" * 42 + "\u00e9",
], ids=["short42", "long129", "plus", "equals", "slash", "space", "nonascii"])
def test_malformed_verifier_is_invalid_request(server, verifier):
    c = server.confidential
    code, good, _ = get_code(server, c)
    assert_error(exchange(server, c, code, verifier), 400, "invalid_request")
    assert exchange(server, c, code, good).status_code == 200


def test_missing_verifier_is_invalid_request(server):
    c = server.confidential
    code, verifier, _ = get_code(server, c)
    r = post(server, "/token", {"grant_type": "authorization_code",
                                "code": code,
                                "redirect_uri": c["redirect_uri"]}, c)
    assert_error(r, 400, "invalid_request")
    assert exchange(server, c, code, verifier).status_code == 200


@pytest.mark.parametrize("length", [43, 128])
def test_verifier_length_bounds_are_accepted(server, length):
    c = server.confidential
    verifier = (UNRESERVED_EXTRA + "AZaz09" * 30)[:length]
    challenge = base64.urlsafe_b64encode(
        hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    r = Browser(server).authorize(auth_params(c, challenge))
    _, q = redirect_params(r)
    r = exchange(server, c, q["code"][0], verifier)
    assert r.status_code == 200, r.text


# -- single use ------------------------------------------------------------------
def test_code_replay_revokes_the_first_tokens(server):
    c = server.confidential
    code, verifier, _ = get_code(server, c)
    first = exchange(server, c, code, verifier)
    assert first.status_code == 200, first.text
    tokens = first.json()
    assert is_active(server, tokens["access_token"])
    assert is_active(server, tokens["refresh_token"])

    assert_error(exchange(server, c, code, verifier), 400, "invalid_grant")

    assert not is_active(server, tokens["access_token"])
    assert not is_active(server, tokens["refresh_token"])
    assert_error(refresh(server, c, tokens["refresh_token"]), 400,
                 "invalid_grant")
    assert "code.replayed" in server.audit_types()
    assert server.query("SELECT revoked_reason FROM families") == \
        [("code_replay",)]


@pytest.mark.parametrize("wrong", ["verifier", "redirect_uri"])
def test_replay_without_the_codes_bindings_revokes_nothing(server, wrong):
    """A use of a code carries its redirect URI and PKCE verifier (RFC
    6749 4.1.3, RFC 7636 4.6). The code alone travels the front channel
    (history, Referer, the redirect host's logs): presented again without
    them, a redeemed code is refused as a fresh one would be, revokes
    nothing and raises no alert. Before, anyone who saw a public client's
    code could end the user's tokens at will, with a false high alert
    each time. With them, it is still a replay and revokes."""
    c = server.public
    code, verifier, _ = get_code(server, c)
    first = exchange(server, c, code, verifier)
    assert first.status_code == 200, first.text
    rt = first.json()["refresh_token"]
    if wrong == "verifier":
        r, why = exchange(server, c, code, pkce_pair()[0]), \
            "code_verifier does not match the code_challenge"
    else:
        r, why = exchange(server, c, code, verifier,
                          redirect_uri=OTHER_REDIRECT), \
            "redirect_uri does not match"
    assert_error(r, 400, "invalid_grant")
    # the client's family is live: its refresh token still works
    again = refresh(server, c, rt)
    assert again.status_code == 200, again.text
    rt = again.json()["refresh_token"]
    # the answer a fresh code gets for the same mistake
    assert r.json()["error_description"] == why
    assert server.query("SELECT revoked_reason FROM families") == [(None,)]
    assert "code.replayed" not in server.audit_types()
    assert server.query("SELECT count(*) FROM alerts") == [(0,)]
    # but recorded as what it looks like: someone holding the code alone
    assert server.query("SELECT detail FROM audit_events "
                        "WHERE type = 'code.refused'") == [(
        '{"reason":"%s","consumed":true,"presented_by":"its_client"}' %
        ("code_verifier" if wrong == "verifier" else "redirect_uri"),)]
    # the code with its bindings is a replay: the family is revoked
    assert_error(exchange(server, c, code, verifier), 400, "invalid_grant")
    assert_error(refresh(server, c, rt), 400, "invalid_grant")
    assert server.query("SELECT revoked_reason FROM families") == \
        [("code_replay",)]
    assert server.audit_types().count("code.replayed") == 1
    assert server.query("SELECT rule FROM alerts") == [("code_replay",)]


def test_replays_of_a_code_after_the_revocation_are_audited_within_a_budget(
        make_server):
    """The replay that revokes what the code minted is always recorded;
    later replays of the same code (until it is purged) are the same
    incident, which whoever saw the code could repeat at will: recorded
    within the budget of events an outsider causes (10 rows a window per
    grant, address and client; every replay still logged, still
    invalid_grant). Before, each appended a durable, chained row."""
    s = make_server()
    c = s.public
    code, verifier, _ = get_code(s, c)
    assert exchange(s, c, code, verifier).status_code == 200
    replays = 31
    for _ in range(replays):
        assert_error(exchange(s, c, code, verifier), 400, "invalid_grant")
    assert_replays_budgeted(s, "code.replayed", replays)


def test_code_replay_whose_revocation_fails_is_not_answered_as_done(server):
    c = server.confidential
    code, verifier, _ = get_code(server, c)
    tokens = exchange(server, c, code, verifier).json()
    fail_family_revocations(server, True)
    r = exchange(server, c, code, verifier)
    assert r.status_code == 503, r.text
    assert r.json()["error"] == "temporarily_unavailable"
    assert is_active(server, tokens["refresh_token"])
    fail_family_revocations(server, False)
    assert_error(exchange(server, c, code, verifier), 400, "invalid_grant")
    assert not is_active(server, tokens["refresh_token"])
    assert_failed_then_done(server, "code.replayed", "code_replay",
                            "were revoked")


@pytest.mark.parametrize("kill", ["user", "grant", "client"])
def test_code_issued_before_a_kill_is_not_redeemed(server, kill):
    """A code is redeemable only while its grant, client and user are
    live: disabling the user, revoking the grant or quarantining the
    client after the code was issued ends it too (no tokens, no ID
    token for a disabled user)."""
    c = server.confidential
    code, verifier, _ = get_code(server, c)
    if kill == "user":
        server.cli("user", "disable", "alice")
    elif kill == "grant":
        server.cli("grant", "revoke", "--client", c["client_id"],
                   "--reason", "test")
    else:
        server.cli("client", "quarantine", c["client_id"], "--reason",
                   "test")
        # seen by the server before the one try the code allows
        await_client_status(server, c["client_id"], active=False)
    r = exchange(server, c, code, verifier)
    if kill == "client":	# the client cannot even authenticate now
        assert r.status_code == 401, r.text
    else:
        body = assert_error(r, 400, "invalid_grant")
        assert "no longer active" in body["error_description"]
    assert "id_token" not in r.text and "access_token" not in r.text
    assert server.query("SELECT count(*) FROM tokens") == [(0,)]
    # not a replay: nothing of the kind is audited
    assert "code.replayed" not in server.audit_types()


def test_concurrent_redemption_yields_exactly_one_token(make_server):
    """20 threads redeem one code at the same instant, over several rounds
    (a non-atomic consume loses such a race only now and then: about one
    round in five on a two-core machine)."""
    s = make_server(threads=32)
    c = s.confidential
    rounds = 20
    for i in range(rounds):
        if i == rounds - 1:
            # The server re-reads its signing keys every 5 s, on the first
            # signature due. On PostgreSQL the winner signs while its
            # redemption holds a pooled connection and the losers hold the
            # rest, waiting on the code's row: a re-read needing a
            # connection of its own there would hang them all.
            time.sleep(6)
        code, verifier, _ = get_code(s, c)
        results = concurrent_posts(s, "/token", {
            "grant_type": "authorization_code", "code": code,
            "code_verifier": verifier, "redirect_uri": c["redirect_uri"]},
            c, 20)
        errors = [x for x in results if isinstance(x, Exception)]
        assert not errors, errors
        ok = [b for st, b in results if st == 200]
        rest = [(st, b.get("error")) for st, b in results if st != 200]
        assert len(ok) == 1, results
        assert rest == [(400, "invalid_grant")] * 19, rest
    # one family, one access and one refresh token minted per code
    assert s.query("SELECT count(*) FROM families") == [(rounds,)]
    assert s.query("SELECT count(*) FROM tokens") == [(2 * rounds,)]


# -- bindings of the code ---------------------------------------------------------
def test_code_of_another_client_is_invalid_grant(server):
    a = server.confidential
    b = add_second_client(server)
    code, verifier, _ = get_code(server, a)
    assert_error(exchange(server, b, code, verifier), 400, "invalid_grant")
    assert_error(exchange(server, server.public, code, verifier,
                          redirect_uri=a["redirect_uri"]), 400,
                 "invalid_grant")
    # the code is bound to A: B's attempts neither succeed nor burn it
    r = exchange(server, a, code, verifier)
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("redirect_uri", [
    OTHER_REDIRECT, "http://127.0.0.1:9000/callback/",
    "http://127.0.0.1:9000/callback?x=1", "http://localhost:9000/callback",
    None])
def test_redirect_uri_mismatch_is_invalid_grant(server, redirect_uri):
    c = server.confidential
    code, verifier, _ = get_code(server, c)
    data = {"grant_type": "authorization_code", "code": code,
            "code_verifier": verifier}
    if redirect_uri is not None:
        data["redirect_uri"] = redirect_uri
    assert_error(post(server, "/token", data, c), 400, "invalid_grant")


def test_expired_code_is_invalid_grant(make_server):
    s = make_server(code_ttl_seconds=1)
    c = s.confidential
    code, verifier, _ = get_code(s, c)
    time.sleep(2.1)
    assert_error(exchange(s, c, code, verifier), 400, "invalid_grant")
    assert s.query("SELECT count(*) FROM tokens") == [(0,)]


def test_unknown_code_is_invalid_grant(server):
    c = server.confidential
    verifier, _ = pkce_pair()
    assert_error(exchange(server, c, "gate_ac_" + "A" * 43, verifier), 400,
                 "invalid_grant")


# -- duplicate parameters (RFC 6749 3.2) -----------------------------------------
@pytest.mark.parametrize("dup", ["code", "client_id", "code_verifier",
                                 "grant_type", "redirect_uri"])
def test_duplicate_parameter_is_invalid_request(server, dup):
    c = server.public          # client_id travels in the body
    code, verifier, _ = get_code(server, c)
    data = [("grant_type", "authorization_code"), ("code", code),
            ("code_verifier", verifier), ("redirect_uri", c["redirect_uri"]),
            ("client_id", c["client_id"])]
    data += [kv for kv in data if kv[0] == dup]     # same value, twice
    r = requests.post(server.base + "/token", data=data)
    assert_error(r, 400, "invalid_request")
    assert exchange(server, c, code, verifier).status_code == 200


# -- client authentication (RFC 6749 2.3, 3.2.1) ---------------------------------
def test_basic_wrong_secret_is_401_with_www_authenticate(server):
    c = server.confidential
    code, verifier, _ = get_code(server, c)
    data = {"grant_type": "authorization_code", "code": code,
            "code_verifier": verifier, "redirect_uri": c["redirect_uri"]}
    r = post(server, "/token", data,
             auth=(c["client_id"], c["client_secret"][:-1] + "x"))
    assert_invalid_client(r, True)
    r = post(server, "/token", data, auth=(c["client_id"], c["client_secret"]))
    assert r.status_code == 200, r.text


def test_client_secret_post_client(server):
    pc = server.add_client(name="Post app", auth_method="client_secret_post")
    code, verifier, _ = get_code(server, pc)
    data = {"grant_type": "authorization_code", "code": code,
            "code_verifier": verifier, "redirect_uri": pc["redirect_uri"]}
    # the same credentials by Basic: not the registered method
    r = post(server, "/token", data,
             auth=(pc["client_id"], pc["client_secret"]))
    assert_invalid_client(r, True)
    # wrong secret in the body: no Authorization header, so 400
    r = post(server, "/token", dict(data, client_id=pc["client_id"],
                                    client_secret="gate_cs_" + "A" * 43))
    assert_invalid_client(r, False)
    r = post(server, "/token", data, pc)
    assert r.status_code == 200, r.text
    assert AT_RE.fullmatch(r.json()["access_token"])


def test_basic_client_using_body_credentials_is_invalid_client(server):
    c = server.confidential
    code, verifier, _ = get_code(server, c)
    r = post(server, "/token", {
        "grant_type": "authorization_code", "code": code,
        "code_verifier": verifier, "redirect_uri": c["redirect_uri"],
        "client_id": c["client_id"], "client_secret": c["client_secret"]})
    assert_invalid_client(r, False)


def test_basic_and_body_secret_together_is_invalid_request(server):
    c = server.confidential
    code, verifier, _ = get_code(server, c)
    r = post(server, "/token", {
        "grant_type": "authorization_code", "code": code,
        "code_verifier": verifier, "redirect_uri": c["redirect_uri"],
        "client_secret": c["client_secret"]},
        auth=(c["client_id"], c["client_secret"]))
    assert_error(r, 400, "invalid_request")


def test_public_client_sending_a_secret_is_invalid_client(server):
    c = server.public
    code, verifier, _ = get_code(server, c)
    r = post(server, "/token", {
        "grant_type": "authorization_code", "code": code,
        "code_verifier": verifier, "redirect_uri": c["redirect_uri"],
        "client_id": c["client_id"], "client_secret": "gate_cs_anything"})
    assert_invalid_client(r, False)
    assert exchange(server, c, code, verifier).status_code == 200


def test_confidential_client_without_secret_is_invalid_client(server):
    c = server.confidential
    code, verifier, _ = get_code(server, c)
    r = post(server, "/token", {
        "grant_type": "authorization_code", "code": code,
        "code_verifier": verifier, "redirect_uri": c["redirect_uri"],
        "client_id": c["client_id"]})
    assert_invalid_client(r, False)
    assert exchange(server, c, code, verifier).status_code == 200


def test_no_client_identification_is_invalid_client(server):
    c = server.confidential
    code, verifier, _ = get_code(server, c)
    r = post(server, "/token", {
        "grant_type": "authorization_code", "code": code,
        "code_verifier": verifier, "redirect_uri": c["redirect_uri"]})
    assert_invalid_client(r, False)


def test_basic_credentials_are_form_url_decoded(server):
    """RFC 6749 2.3.1: id and secret are form-url-encoded before Basic."""
    c = server.confidential
    code, verifier, _ = get_code(server, c)
    data = {"grant_type": "authorization_code", "code": code,
            "code_verifier": verifier, "redirect_uri": c["redirect_uri"]}
    # quote_plus leaves the base64url alphabet alone, so also encode every
    # '_' and '-' (legal, if unusual): only a decoding server accepts it
    def enc(v):
        return urllib.parse.quote_plus(v).replace("_", "%5F") \
            .replace("-", "%2D")
    assert "%5F" in enc(c["client_id"]) and "%5F" in enc(c["client_secret"])
    hdr = {"Authorization": basic_header(c["client_id"], c["client_secret"],
                                         enc)}
    r = requests.post(server.base + "/token", data=data, headers=hdr)
    assert r.status_code == 200, r.text


def test_basic_credentials_with_quote_plus(server):
    c = server.confidential
    code, verifier, _ = get_code(server, c)
    hdr = {"Authorization": basic_header(c["client_id"], c["client_secret"])}
    r = requests.post(server.base + "/token", headers=hdr, data={
        "grant_type": "authorization_code", "code": code,
        "code_verifier": verifier, "redirect_uri": c["redirect_uri"]})
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("how", ["basic", "body"])
def test_unknown_client_is_invalid_client(server, how):
    """RFC 6749 5.2: 401 with WWW-Authenticate when the client used the
    Authorization header; otherwise 400 (a 401 would need a challenge,
    RFC 9110 15.5.2, and none fits client_secret_post)."""
    c = server.confidential
    code, verifier, _ = get_code(server, c)
    data = {"grant_type": "authorization_code", "code": code,
            "code_verifier": verifier, "redirect_uri": c["redirect_uri"]}
    if how == "basic":
        r = post(server, "/token", data,
                 auth=("cl_doesnotexist0000", c["client_secret"]))
        assert_invalid_client(r, True)
    else:
        r = post(server, "/token", dict(data, client_id="cl_nope",
                                        client_secret="gate_cs_x"))
        assert_invalid_client(r, False)


@pytest.mark.parametrize("path", ["/token", "/revoke", "/introspect"])
@pytest.mark.parametrize("scheme", ["Bearer gate_at_x", "Digest x=1",
                                    "Basic", "Basicx"])
def test_other_authorization_schemes_get_a_basic_challenge(server, path,
                                                           scheme):
    """Any Authorization header but a well-formed Basic one: 401 with the
    challenge of the one scheme these endpoints take."""
    c = server.confidential
    r = requests.post(server.base + path, headers={"Authorization": scheme},
                      data={"grant_type": "refresh_token",
                            "refresh_token": "x", "token": "x",
                            "client_id": c["client_id"]})
    assert_invalid_client(r, True)


def test_disabled_client_is_invalid_client(server):
    c = server.confidential
    code, verifier, _ = get_code(server, c)
    server.cli("client", "disable", c["client_id"])
    await_client_status(server, c["client_id"], active=False)
    assert_invalid_client(exchange(server, c, code, verifier), True)
    assert server.query("SELECT detail FROM audit_events WHERE type = "
                        "'client.auth_failed'") == \
        [('{"reason":"disabled","proof":"secret"}',)]


def test_disabled_client_with_a_wrong_secret_is_a_bad_secret(server):
    """A disabled client's secret is checked all the same: a wrong one is
    audited as a bad secret, not as the client's use (its id is public),
    and gets the same answer as the right one."""
    c = server.confidential
    server.cli("client", "disable", c["client_id"])
    await_client_status(server, c["client_id"], active=False)
    r = post(server, "/introspect", {"token": "x"},
             auth=(c["client_id"], "gate_cs_" + "A" * 43))
    assert_invalid_client(r, True)
    right = post(server, "/introspect", {"token": "x"}, c)
    assert_invalid_client(right, True)
    assert r.json() == right.json()
    assert server.query("SELECT detail FROM audit_events WHERE type = "
                        "'client.auth_failed' ORDER BY seq") == \
        [('{"reason":"bad_secret"}',),
         ('{"reason":"disabled","proof":"secret"}',)]


# -- responses -----------------------------------------------------------------------
def test_success_and_error_headers(server):
    c = server.confidential
    code, verifier, _ = get_code(server, c)
    ok = exchange(server, c, code, verifier)
    assert ok.status_code == 200
    assert ok.headers["Content-Type"].startswith("application/json")
    assert_no_store(ok)
    body = ok.json()
    assert body["token_type"] == "Bearer"
    assert isinstance(body["expires_in"], int) and body["expires_in"] > 0
    # 400 and 401 errors carry the same headers and a JSON "error"
    assert_error(exchange(server, c, code, verifier), 400, "invalid_grant")
    assert_invalid_client(post(server, "/token", {"grant_type": "x"},
                               auth=(c["client_id"], "bad")), True)


def test_token_format(server):
    body = issue(server, server.confidential)
    assert AT_RE.fullmatch(body["access_token"]), body["access_token"]
    assert RT_RE.fullmatch(body["refresh_token"]), body["refresh_token"]
    body2 = issue(server, server.confidential)
    assert body2["access_token"] != body["access_token"]
    assert body2["refresh_token"] != body["refresh_token"]


def test_refresh_token_only_with_offline_access(server):
    body = issue(server, server.confidential, scope="openid offline_access")
    assert RT_RE.fullmatch(body["refresh_token"])
    online = server.add_client(name="Online app",
                               scope="openid profile email")
    body = issue(server, online, scope="openid profile")
    assert AT_RE.fullmatch(body["access_token"])
    assert "refresh_token" not in body, body
    assert set(body["scope"].split()) == {"openid", "profile"}
    assert server.query("SELECT kind FROM tokens WHERE client_id = ?",
                        online["client_id"]) == [("access",)]
