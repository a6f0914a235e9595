"""Browser-facing defences: cookie attributes (and __Host- names behind an
https issuer), framing and caching headers, no script anywhere, and the
status of the redirect that carries the code."""
import urllib.parse

import pytest
import requests

from conftest import PASSWORD, Browser, Server
from helpers_authz import (assert_clean_exit, assert_code_redirect,
                           at_consent, cookie_attrs, cookie_named,
                           fresh_params, is_consent, is_login,
                           set_config, set_cookie_headers)


def check_cookie(line, name, secure):
    got_name, value, attrs = cookie_attrs(line)
    assert got_name == name, line
    assert value, line
    assert "httponly" in attrs, line
    assert attrs.get("samesite", "").lower() == "lax", line
    assert attrs.get("path") == "/", line
    assert "domain" not in attrs, line
    if secure:
        assert "secure" in attrs, line
    return value


# -- cookies, http issuer --------------------------------------------------
def test_csrf_cookie_is_httponly_and_samesite_lax(server):
    r = Browser(server).get(fresh_params(server.confidential))
    assert is_login(r)
    line = cookie_named(r, "gh_csrf")
    assert line, set_cookie_headers(r)
    check_cookie(line, "gh_csrf", secure=False)


def test_session_cookie_is_httponly_and_samesite_lax(server):
    b = Browser(server)
    r = b.login(b.get(fresh_params(server.confidential)))
    assert is_consent(r)
    line = cookie_named(r, "gh_session")
    assert line, set_cookie_headers(r)
    check_cookie(line, "gh_session", secure=False)


def test_session_cookie_value_is_not_stored(server):
    b = Browser(server)
    r = b.login(b.get(fresh_params(server.confidential)))
    _, value, _ = cookie_attrs(cookie_named(r, "gh_session"))
    rows = server.query("SELECT hash, user_id FROM sessions")
    assert len(rows) == 1
    assert value.encode() not in bytes(rows[0][0])
    assert value not in server.log_text()


# -- cookies, https issuer -------------------------------------------------
@pytest.fixture
def https_server(tmp_path):
    """Issuer https://127.0.0.1:PORT; the listener itself stays plain http
    (as behind a TLS-terminating proxy)."""
    s = Server(tmp_path, setup="standard")
    s.issuer = "https://127.0.0.1:%d" % s.port
    set_config(s, issuer=s.issuer)
    s.start()
    yield s
    assert_clean_exit(s, s.stop())


def cookie_header(*lines):
    return "; ".join(cookie_attrs(l)[0] + "=" + cookie_attrs(l)[1]
                     for l in lines)


def test_https_issuer_uses_host_prefixed_secure_cookies(https_server):
    s = https_server
    c = s.confidential
    url = s.base + "/authorize"
    p = fresh_params(c)
    # requests would not send Secure cookies over plain http: do it by hand
    r = requests.get(url, params=p, allow_redirects=False)
    assert is_login(r)
    assert cookie_named(r, "gh_csrf") is None
    csrf_line = cookie_named(r, "__Host-gh_csrf")
    assert csrf_line, set_cookie_headers(r)
    check_cookie(csrf_line, "__Host-gh_csrf", secure=True)

    data = Browser.form_fields(r.text)
    data.update(username="alice", password=PASSWORD)
    r = requests.post(url, data=data, allow_redirects=False,
                      headers={"Cookie": cookie_header(csrf_line)})
    assert is_consent(r), r.text[:300]
    assert cookie_named(r, "gh_session") is None
    sess_line = cookie_named(r, "__Host-gh_session")
    assert sess_line, set_cookie_headers(r)
    check_cookie(sess_line, "__Host-gh_session", secure=True)

    data = Browser.form_fields(r.text)
    data["decision"] = "allow"
    r = requests.post(url, data=data, allow_redirects=False, headers={
        "Cookie": cookie_header(csrf_line, sess_line)})
    q = assert_code_redirect(r, c)
    assert q["iss"] == [s.issuer]
    assert s.issuer.startswith("https://")


def test_https_issuer_ignores_unprefixed_cookies(https_server):
    """A cookie without the __Host- prefix (which a sibling subdomain or a
    plain-http attacker could plant) is not a session or CSRF cookie."""
    s = https_server
    c = s.confidential
    url = s.base + "/authorize"
    r = requests.get(url, params=fresh_params(c), allow_redirects=False)
    csrf_line = cookie_named(r, "__Host-gh_csrf")
    data = Browser.form_fields(r.text)
    data.update(username="alice", password=PASSWORD)
    value = cookie_attrs(csrf_line)[1]
    r = requests.post(url, data=data, allow_redirects=False,
                      headers={"Cookie": "gh_csrf=" + value})
    assert r.status_code == 400
    assert cookie_named(r, "__Host-gh_session") is None


# -- a crowded Cookie header ----------------------------------------------
def ours_plus(browser, before=(), after=()):
    """A Cookie header with the browser's own cookies among others'."""
    mine = ["%s=%s" % (c.name, c.value) for c in browser.s.cookies]
    return "; ".join(list(before) + mine + list(after))


def crowded_headers():
    """Cookie headers a real browser sends when the site's other
    applications also set cookies: (label, before ours, after ours)."""
    many = ["c%d=%d" % (i, i) for i in range(40)]
    return [
        ("40 cookies", many[:20], many[20:]),
        ("4100-byte cookie", ["_ga=" + "x" * 4100], []),
        ("tossed by a sibling", ["other_%d=%s" % (i, "v" * 200)
                                 for i in range(30)], ["theme=dark"]),
    ]


@pytest.mark.parametrize("label,before,after", crowded_headers(),
                         ids=[h[0] for h in crowded_headers()])
def test_session_and_csrf_found_in_a_crowded_cookie_header(
        server, label, before, after):
    """A signed-in browser carrying many or large unrelated cookies is
    still signed in and its forms still work (the lookup used to fail
    past 4 KiB or 32 cookies: login page, and every form "expired")."""
    c = server.confidential
    b, r = at_consent(server, c)
    headers = {"Cookie": ours_plus(b, before, after)}
    assert len(headers["Cookie"]) > 4096 or headers["Cookie"].count(";") > 32
    # signed in: the consent page, not the login page
    r = b.s.get(server.base + "/authorize", allow_redirects=False,
                params=fresh_params(c), headers=headers)
    assert is_consent(r), (label, r.status_code, r.text[:300])
    # and the form's CSRF cookie is found: consenting issues a code
    data = Browser.form_fields(r.text)
    data["decision"] = "allow"
    r = b.s.post(server.base + "/authorize", data=data,
                 allow_redirects=False, headers=headers)
    assert_code_redirect(r, c)
    # remembered consent, still through the crowded header
    r = b.s.get(server.base + "/authorize", allow_redirects=False,
                params=fresh_params(c), headers=headers)
    assert_code_redirect(r, c)


def test_login_form_works_in_a_crowded_cookie_header(server):
    """Signing in (a POST that needs the CSRF cookie) past 4 KiB."""
    c = server.confidential
    b = Browser(server)
    r = b.get(fresh_params(c))
    assert is_login(r)
    data = Browser.form_fields(r.text)
    data.update(username="alice", password=PASSWORD)
    r = b.s.post(server.base + "/authorize", data=data,
                 allow_redirects=False,
                 headers={"Cookie": ours_plus(b, ["_ga=" + "x" * 4100])})
    assert is_consent(r), (r.status_code, r.text[:300])


def test_our_cookie_twice_is_no_session(server):
    """Our session cookie sent twice (cookie tossing: the second copy can
    come from a sibling subdomain, with a longer Path so it is sent
    first) is taken as no session at all, in a crowded header too:
    neither copy is trusted."""
    c = server.confidential
    b, r = at_consent(server, c)
    assert is_consent(b.get(fresh_params(c)))
    session = b.s.cookies.get("gh_session")
    for tossed in ("gh_session=gate_ss_tossed", "gh_session=" + session):
        for pad in ([], ["c%d=1" % i for i in range(40)]):
            r = b.s.get(server.base + "/authorize", allow_redirects=False,
                        params=fresh_params(c), headers={
                            "Cookie": ours_plus(b, [tossed] + pad)})
            assert is_login(r), (tossed, r.status_code, r.text[:300])


# -- headers of HTML pages -------------------------------------------------
def html_pages(server):
    """(label, response) for every kind of HTML page the server renders."""
    c = server.confidential
    pages = []
    b = Browser(server)
    login = b.get(fresh_params(c))
    pages.append(("login", login))
    pages.append(("login-error", b.login(login, password="wrong pw!!")))
    pages.append(("consent", b.login(login)))
    pages.append(("error", Browser(server).get(
        fresh_params(c, redirect_uri="http://127.0.0.1:9000/evil"))))
    pages.append(("csrf", Browser(server).post(
        dict(fresh_params(c), gh_action="login", csrf="x"))))
    pages.append(("too-large", Browser(server).get(
        dict(fresh_params(c), state="s" * 5000))))
    pages.append(("malformed", requests.get(
        server.base + "/authorize?client_id=%zz", allow_redirects=False)))
    return pages


def test_html_pages_forbid_framing_and_caching(server):
    for label, r in html_pages(server):
        assert r.headers["Content-Type"].startswith("text/html"), label
        csp = r.headers.get("Content-Security-Policy", "")
        assert "frame-ancestors 'none'" in csp, (label, csp)
        assert r.headers.get("X-Frame-Options") == "DENY", label
        assert "no-store" in r.headers.get("Cache-Control", ""), label


def test_html_pages_contain_no_script(server):
    for label, r in html_pages(server):
        text = r.text.lower()
        assert "<script" not in text, label
        assert "javascript:" not in text, label
        assert " onload=" not in text and " onclick=" not in text, label
        csp = r.headers.get("Content-Security-Policy", "")
        assert "default-src 'none'" in csp, (label, csp)
        assert "script-src" not in csp or "'none'" in csp, (label, csp)
        assert "unsafe-inline" not in csp, (label, csp)


def test_html_pages_send_nosniff_and_no_referrer(server):
    for label, r in html_pages(server):
        assert r.headers.get("X-Content-Type-Options") == "nosniff", label
        assert r.headers.get("Referrer-Policy") == "no-referrer", label


def test_forms_post_to_same_origin_authorize(server):
    b = Browser(server)
    login = b.get(fresh_params(server.confidential))
    consent = b.login(login)
    for r in (login, consent):
        assert '<form method="post" action="/authorize">' in r.text


# -- the redirect carrying the code ----------------------------------------
def test_code_redirect_after_post_is_303(server):
    c = server.confidential
    b, page = at_consent(server, c)
    r = b.consent(page)
    assert r.status_code == 303
    assert_code_redirect(r, c)
    assert "no-store" in r.headers.get("Cache-Control", "")
    assert r.headers.get("Referrer-Policy") == "no-referrer"


def test_code_redirect_after_get_is_302_or_303(server):
    c = server.confidential
    b = Browser(server)
    b.authorize(fresh_params(c))
    r = b.get(fresh_params(c))
    assert r.status_code in (302, 303)
    assert_code_redirect(r, c)
    assert "no-store" in r.headers.get("Cache-Control", "")


def test_error_redirect_after_post_is_303(server):
    c = server.confidential
    b, page = at_consent(server, c)
    r = b.consent(page, decision="deny")
    assert r.status_code == 303
    assert "error=access_denied" in r.headers["Location"]


def test_code_not_in_page_body_or_log(server):
    c = server.confidential
    b, page = at_consent(server, c)
    r = b.consent(page)
    loc = r.headers["Location"]
    code = urllib.parse.parse_qs(urllib.parse.urlparse(loc).query)["code"][0]
    assert code not in r.text
    assert code not in server.log_text()
