"""The user-facing side of the authorization endpoint: the login and
consent pages, remembered consent, prompt, and the CSRF defences of the
forms."""
import re
import time

import pytest

from conftest import PASSWORD, Browser
from helpers_admin import hidden
from helpers_authz import (assert_code_redirect, assert_error_page,
                           assert_error_redirect, at_consent, cookie_named,
                           count, fresh_params, is_consent, is_login)

LOGIN_ERROR = "Wrong username or password."
SCOPE_WORDS = {
    "openid": "Confirm who you are (sign you in)",
    "profile": "See your basic profile: name and username",
    "email": "See your email address",
    "offline_access":
        "Keep access when you are not using it (refresh tokens)",
}


def session_cookie_set(r):
    return (cookie_named(r, "gh_session") is not None or
            cookie_named(r, "__Host-gh_session") is not None)


# -- login and consent pages -----------------------------------------------
def test_login_page_then_consent_page(server):
    c = server.confidential
    b = Browser(server)
    r = b.get(fresh_params(c))
    assert is_login(r)
    assert 'type="password"' in r.text and 'name="username"' in r.text
    assert "Confidential app" in r.text
    r = b.login(r)
    assert is_consent(r)
    assert session_cookie_set(r)
    assert_code_redirect(b.consent(r), c)


def test_consent_page_describes_client_and_scopes(server):
    c = server.add_client(name="Calendar Sync", owner="Platform Team",
                          redirect_uris=("https://app.example.com/oauth/cb",))
    _, r = at_consent(server, c, scope="openid profile email offline_access")
    assert "Calendar Sync" in r.text
    assert "Platform Team" in r.text
    assert "app.example.com" in r.text
    for words in SCOPE_WORDS.values():
        assert words in r.text, words
    assert "alice" in r.text


def test_consent_page_lists_only_requested_scopes(server):
    _, r = at_consent(server, server.confidential, scope="openid")
    assert SCOPE_WORDS["openid"] in r.text
    assert SCOPE_WORDS["offline_access"] not in r.text
    assert SCOPE_WORDS["email"] not in r.text


def test_client_name_and_owner_are_html_escaped(server):
    c = server.add_client(name="<script>alert(1)</script>",
                          owner="<img src=x onerror=alert(2)>")
    b = Browser(server)
    r = b.get(fresh_params(c))
    assert is_login(r)
    assert "<script>alert(1)</script>" not in r.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text
    r = b.login(r)
    assert is_consent(r)
    assert "<script>alert(1)</script>" not in r.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text
    assert "<img" not in r.text
    assert "&lt;img src=x onerror=alert(2)&gt;" in r.text
    assert "<script" not in r.text.lower()


def test_request_values_in_hidden_fields_are_escaped(server):
    c = server.confidential
    r = Browser(server).get(fresh_params(
        c, state='"><script>alert(3)</script>', nonce="<b>x</b>"))
    assert is_login(r)
    assert "<script" not in r.text.lower() and "<b>" not in r.text
    assert "&quot;&gt;&lt;script&gt;alert(3)&lt;/script&gt;" in r.text


# -- failed logins ---------------------------------------------------------
@pytest.mark.parametrize("username,password", [
    ("alice", "wrong password!"), ("mallory", "correct horse battery"),
    ("alice", ""), ("", "correct horse battery"), ("ALICE",
                                                    "correct horse battery")],
    ids=["wrong-password", "unknown-user", "empty-password",
         "empty-username", "case-changed-user"])
def test_failed_login_shows_form_again_without_session(server, username,
                                                       password):
    b = Browser(server)
    r = b.get(fresh_params(server.confidential))
    r = b.login(r, username=username, password=password)
    assert is_login(r), r.text[:300]
    assert LOGIN_ERROR in r.text
    assert not session_cookie_set(r)
    assert not any("session" in k for k in b.s.cookies.keys())
    assert count(server, "sessions") == 0
    assert count(server, "codes") == 0


def test_unknown_user_gets_same_message_as_wrong_password(server):
    b = Browser(server)
    page = b.get(fresh_params(server.confidential))
    r1 = b.login(page, username="alice", password="not the password")
    r2 = b.login(page, username="nobody", password="not the password")
    assert LOGIN_ERROR in r1.text and LOGIN_ERROR in r2.text
    errors = [re.findall(r'<p class="error"[^>]*>(.*?)</p>', r.text)
              for r in (r1, r2)]
    assert errors[0] == errors[1] == [LOGIN_ERROR]


def test_disabled_user_cannot_log_in(server):
    server.cli("user", "disable", "alice")
    b = Browser(server)
    r = b.login(b.get(fresh_params(server.confidential)))
    assert is_login(r)
    assert LOGIN_ERROR in r.text
    assert not session_cookie_set(r)
    assert count(server, "sessions") == 0


def test_disabled_user_is_answered_in_an_argon2_run(server):
    """A disabled user's login spends the same Argon2id run as a wrong
    password, so the answer's time does not tell a disabled account (it
    was answered in a few milliseconds, without a run)."""
    def timed(password):
        b = Browser(server)
        page = b.get(fresh_params(server.confidential))
        took = []
        for _ in range(3):
            t = time.monotonic()
            r = b.login(page, username="alice", password=password)
            took.append(time.monotonic() - t)
            assert LOGIN_ERROR in r.text
        return sorted(took)
    active = timed("not the password")
    # a success gives alice her burst of failures back (login.h)
    b = Browser(server)
    assert is_consent(b.login(b.get(fresh_params(server.confidential))))
    server.cli("user", "disable", "alice")
    disabled = timed("correct horse battery")
    # a run is tens of milliseconds here; a loaded machine only slows it
    assert disabled[1] >= 0.3 * active[0], (disabled, active)


def test_reenabled_user_can_log_in(server):
    server.cli("user", "disable", "alice")
    server.cli("user", "enable", "alice")
    b = Browser(server)
    r = b.login(b.get(fresh_params(server.confidential)))
    assert is_consent(r)


# -- a session ends with the credential and status it began under ----------
NEW_PASSWORD = "a brand new password 123"


@pytest.mark.parametrize("change", ["passwd", "disable+enable"])
def test_password_change_or_disable_ends_browser_sessions(server, change):
    """Every browser of the user is signed out: the next request shows the
    login form (prompt=none: login_required), not a code."""
    c = server.confidential
    browsers = [Browser(server), Browser(server)]
    for b in browsers:
        assert_code_redirect(b.authorize(fresh_params(c)), c)
    assert count(server, "sessions") == 2
    if change == "passwd":
        server.cli("user", "passwd", "alice", "--password-stdin",
                   input=NEW_PASSWORD + "\n")
    else:
        server.cli("user", "disable", "alice")
        server.cli("user", "enable", "alice")
    assert count(server, "sessions") == 0
    for b in browsers:
        assert_error_redirect(b.get(fresh_params(c, prompt="none")), server,
                              c, "login_required")
        r = b.get(fresh_params(c))
        assert is_login(r), (r.status_code, r.headers.get("Location"))
        account = b.s.get(server.base + "/account", allow_redirects=False)
        assert account.headers.get("Location") == "/account/login"
    # signing in again works, with the password now in force
    b = browsers[0]
    page = b.get(fresh_params(c))
    if change == "passwd":
        assert LOGIN_ERROR in b.login(page).text     # the old one
        page = b.get(fresh_params(c))
        assert_code_redirect(b.login(page, password=NEW_PASSWORD), c)
    else:
        assert_code_redirect(b.login(page), c)


# -- a login ends the browser's previous session ----------------------------
def sign_in_on(server, b, where, username):
    """Sign `username` in on browser b, by /authorize (prompt=login, as a
    relying party does to switch users) or /account/login."""
    if where == "authorize":
        r = b.get(fresh_params(server.confidential, prompt="login"))
        assert is_login(r), r.text[:300]
        return b.login(r, username=username)
    # signed in, /account/login leads to /account: its forms' token will do
    page = b.s.get(server.base + "/account/login")
    return b.s.post(server.base + "/account/login", allow_redirects=False,
                    data={"csrf": hidden(page.text, "csrf"),
                          "username": username, "password": PASSWORD})


def session_users(server):
    return sorted(r[0] for r in server.query(
        "SELECT u.username FROM sessions s JOIN users u ON u.id = s.user_id"))


@pytest.mark.parametrize("where", ["authorize", "account"])
def test_login_ends_the_browsers_previous_session(server, where):
    """On a shared browser, bob signing in ends alice's session there on
    the server at once (not at its TTL): her cookie, kept or copied,
    signs nobody in. Her sessions on other browsers stay."""
    c = server.confidential
    server.add_user("bob")
    elsewhere = Browser(server)
    assert_code_redirect(elsewhere.authorize(fresh_params(c)), c)
    b = Browser(server)
    assert_code_redirect(b.authorize(fresh_params(c)), c)
    alices = b.s.cookies.get("gh_session")
    assert session_users(server) == ["alice", "alice"]

    r = sign_in_on(server, b, where, "bob")
    assert r.status_code in (200, 303), (r.status_code, r.text[:300])
    assert cookie_named(r, "gh_session") is not None
    assert session_users(server) == ["alice", "bob"]
    assert b.s.cookies.get("gh_session") != alices
    # alice's old cookie, replayed, is nobody's session
    replay = Browser(server)
    replay.s.cookies.set("gh_session", alices)
    assert_error_redirect(replay.get(fresh_params(c, prompt="none")), server,
                          c, "login_required")
    assert is_login(replay.get(fresh_params(c)))
    # alice on her other browser is still signed in
    assert_code_redirect(elsewhere.get(fresh_params(c)), c)
    # a fresh sign-in of the same user replaces the session as well
    bobs = b.s.cookies.get("gh_session")
    sign_in_on(server, b, where, "bob")
    assert b.s.cookies.get("gh_session") != bobs
    assert session_users(server) == ["alice", "bob"]


def test_login_that_cannot_end_the_previous_session_fails(server):
    """Ending the previous session and starting the new one are one store
    transaction: when the DELETE fails, bob is not signed in either, and
    the login says it failed (503), never a page as bob, or alice's."""
    c = server.confidential
    server.add_user("bob")
    b = Browser(server)
    assert_code_redirect(b.authorize(fresh_params(c)), c)
    alices = b.s.cookies.get("gh_session")
    if server.pg:
        server.execute("CREATE FUNCTION gh_test_fail() RETURNS trigger AS $$"
                       " BEGIN RAISE EXCEPTION 'injected'; END $$"
                       " LANGUAGE plpgsql",
                       "CREATE TRIGGER gh_test_fail BEFORE DELETE ON sessions"
                       " FOR EACH ROW EXECUTE FUNCTION gh_test_fail()")
    else:
        server.execute("CREATE TRIGGER gh_test_fail BEFORE DELETE ON sessions"
                       " BEGIN SELECT RAISE(ABORT, 'injected'); END")
    r = sign_in_on(server, b, "authorize", "bob")
    assert r.status_code == 503, (r.status_code, r.text[:300])
    assert cookie_named(r, "gh_session") is None
    assert session_users(server) == ["alice"]
    assert b.s.cookies.get("gh_session") == alices
    server.execute("DROP TRIGGER gh_test_fail" +
                   (" ON sessions" if server.pg else ""))
    r = sign_in_on(server, b, "authorize", "bob")
    assert is_consent(r), r.text[:300]
    assert session_users(server) == ["bob"]


def test_profile_change_keeps_browser_sessions(server):
    c = server.confidential
    b = Browser(server)
    assert_code_redirect(b.authorize(fresh_params(c)), c)
    server.cli("user", "profile", "alice", "--name", "Alice Liddell")
    server.cli("user", "enable", "alice")       # already active
    assert_code_redirect(b.get(fresh_params(c, prompt="none")), c)


# -- deny ------------------------------------------------------------------
@pytest.mark.parametrize("where", ["authorize", "account"])
def test_consent_form_answers_only_for_the_user_it_named(server, where):
    """A consent page names the user it asks ("Signed in as alice"). If
    bob signs in on the same browser (another tab) before it is posted,
    its Allow is no consent of bob's: he gets his own consent page, and
    no grant or code is made for him until he answers it."""
    c = server.confidential
    server.add_user("bob")
    b, alices_page = at_consent(server, c)
    assert "Signed in as alice" in alices_page.text
    sign_in_on(server, b, where, "bob")
    assert session_users(server) == ["bob"]
    codes = count(server, "codes")
    r = b.consent(alices_page)
    assert is_consent(r), (r.status_code, r.headers, r.text[:300])
    assert "Signed in as bob" in r.text
    assert count(server, "grants") == 0
    assert count(server, "codes") == codes
    # bob's own answer is one
    assert_code_redirect(b.consent(r), c)
    assert count(server, "grants") == 1


def test_deny_redirects_with_access_denied(server):
    c = server.confidential
    b, page = at_consent(server, c)
    r = b.consent(page, decision="deny")
    assert_error_redirect(r, server, c, "access_denied")
    assert count(server, "grants") == 0
    assert count(server, "codes") == 0


def test_deny_is_not_remembered_as_consent(server):
    c = server.confidential
    b, page = at_consent(server, c)
    b.consent(page, decision="deny")
    assert is_consent(b.get(fresh_params(c)))


# -- remembered consent and prompt -----------------------------------------
def test_remembered_consent_skips_pages(server):
    c = server.confidential
    b = Browser(server)
    assert_code_redirect(b.authorize(fresh_params(c)), c)
    r = b.get(fresh_params(c, state="second"))
    q = assert_code_redirect(r, c, state="second")
    assert q["iss"] == [server.issuer]


def test_narrower_scope_is_covered_by_remembered_consent(server):
    c = server.confidential
    b = Browser(server)
    b.authorize(fresh_params(c, scope="openid profile offline_access"))
    assert_code_redirect(b.get(fresh_params(c, scope="openid")), c)


def test_wider_scope_asks_again(server):
    c = server.confidential
    b = Browser(server)
    assert_code_redirect(b.authorize(fresh_params(c, scope="openid")), c)
    r = b.get(fresh_params(c, scope="openid email"))
    assert is_consent(r)
    assert SCOPE_WORDS["email"] in r.text


def test_consent_for_one_client_does_not_cover_another(server):
    b = Browser(server)
    b.authorize(fresh_params(server.confidential))
    assert is_consent(b.get(fresh_params(server.public)))


def test_prompt_consent_forces_consent_page(server):
    c = server.confidential
    b = Browser(server)
    b.authorize(fresh_params(c))
    r = b.get(fresh_params(c, prompt="consent"))
    assert is_consent(r)
    assert 'name="prompt"' not in r.text   # satisfied by this page
    assert_code_redirect(b.consent(r), c)


def test_prompt_login_forces_login_form(server):
    c = server.confidential
    b = Browser(server)
    b.authorize(fresh_params(c))
    r = b.get(fresh_params(c, prompt="login"))
    assert is_login(r)
    # signing in again satisfies it and the remembered consent applies
    assert_code_redirect(b.login(r), c)


@pytest.mark.parametrize("prompt,carried", [
    ("select_account " * 8 + "login consent", "consent select_account"),
    ("login " * 40 + "consent", "consent"),
    ("consent consent login select_account login", "consent select_account"),
])
def test_prompt_is_carried_as_a_set(server, prompt, carried):
    """Repeated prompt values go through the login form once each, so none
    is crowded out: consent still shows its page (OIDC Core 3.1.2.1)."""
    c = server.confidential
    b = Browser(server)
    assert_code_redirect(b.authorize(fresh_params(c)), c)
    r = b.get(fresh_params(c, prompt=prompt))
    assert is_login(r)
    assert Browser.form_fields(r.text)["prompt"] == carried
    r = b.login(r)
    assert is_consent(r), (r.status_code, r.headers.get("Location"))
    assert_code_redirect(b.consent(r), c)


def test_prompt_none_without_session_is_login_required(server):
    c = server.confidential
    r = Browser(server).get(fresh_params(c, prompt="none"))
    assert_error_redirect(r, server, c, "login_required")


def test_prompt_none_without_consent_is_consent_required(server):
    c = server.confidential
    b, _ = at_consent(server, c)
    r = b.get(fresh_params(c, prompt="none"))
    assert_error_redirect(r, server, c, "consent_required")


def test_prompt_none_with_session_and_consent_issues_code(server):
    c = server.confidential
    b = Browser(server)
    b.authorize(fresh_params(c))
    assert_code_redirect(b.get(fresh_params(c, prompt="none")), c)


@pytest.mark.parametrize("prompt", ["none login", "login none",
                                    "none consent", "none select_account"])
def test_prompt_none_combined_is_invalid_request(server, prompt):
    c = server.confidential
    b = Browser(server)
    b.authorize(fresh_params(c))
    r = b.get(fresh_params(c, prompt=prompt))
    assert_error_redirect(r, server, c, "invalid_request")


# -- CSRF ------------------------------------------------------------------
def tamper(token):
    return ("B" if token[0] != "B" else "C") + token[1:]


@pytest.mark.parametrize("how", ["missing", "altered", "empty"])
def test_login_form_needs_csrf_token(server, how):
    b = Browser(server)
    page = b.get(fresh_params(server.confidential))
    data = b.form_fields(page.text)
    data.update(username="alice", password="correct horse battery")
    if how == "missing":
        del data["csrf"]
    elif how == "altered":
        data["csrf"] = tamper(data["csrf"])
    else:
        data["csrf"] = ""
    r = b.post(data)
    assert_error_page(r)
    assert not session_cookie_set(r)
    assert count(server, "sessions") == 0


@pytest.mark.parametrize("how", ["missing", "altered", "no-cookie"])
def test_consent_form_needs_csrf_token(server, how):
    c = server.confidential
    b, page = at_consent(server, c)
    data = b.form_fields(page.text)
    data["decision"] = "allow"
    if how == "missing":
        del data["csrf"]
    elif how == "altered":
        data["csrf"] = tamper(data["csrf"])
    else:
        del b.s.cookies["gh_csrf"]
    r = b.post(data)
    assert_error_page(r)
    assert count(server, "grants") == 0
    assert count(server, "codes") == 0


def test_login_csrf_token_of_another_browser_is_refused(server):
    c = server.confidential
    attacker, victim = Browser(server), Browser(server)
    stolen = attacker.get(fresh_params(c))
    victim.get(fresh_params(c))    # the victim has a CSRF cookie of its own
    r = victim.login(stolen)       # the attacker's form, token and all
    assert_error_page(r)
    assert count(server, "sessions") == 0


def test_consent_csrf_token_of_another_browser_is_refused(server):
    c = server.confidential
    victim, page = at_consent(server, c)
    attacker = Browser(server)
    forged = attacker.get(fresh_params(c))
    data = victim.form_fields(page.text)
    data["csrf"] = attacker.form_fields(forged.text)["csrf"]
    data["decision"] = "allow"
    assert data["csrf"] != victim.form_fields(page.text)["csrf"]
    r = victim.post(data)
    assert_error_page(r)
    assert count(server, "grants") == 0
    assert count(server, "codes") == 0


def test_csrf_cookie_of_another_browser_with_its_token_is_refused(server):
    """Pairing is per browser: a victim with a session cannot be made to
    consent by an attacker's (token, cookie) pair unless the cookie is
    planted too -- and a planted cookie without the victim's session gets
    nothing."""
    c = server.confidential
    victim, page = at_consent(server, c)
    data = victim.form_fields(page.text)
    data["decision"] = "allow"
    attacker = Browser(server)
    attacker.get(fresh_params(c))
    r = attacker.post(data)     # the victim's token with the attacker cookie
    assert_error_page(r)
    assert count(server, "codes") == 0


def test_get_with_consent_action_does_not_grant(server):
    c = server.confidential
    b, page = at_consent(server, c)
    data = b.form_fields(page.text)
    data["decision"] = "allow"
    r = b.get(data)
    assert r.status_code == 200 and is_consent(r), (r.status_code,
                                                    r.headers)
    assert "Location" not in r.headers
    assert count(server, "grants") == 0
    assert count(server, "codes") == 0


def test_get_with_login_action_does_not_log_in(server):
    b = Browser(server)
    page = b.get(fresh_params(server.confidential))
    data = b.form_fields(page.text)
    data.update(username="alice", password="correct horse battery")
    r = b.get(data)
    assert is_login(r)
    assert not session_cookie_set(r)
    assert count(server, "sessions") == 0
