"""Shared fixtures for the end-to-end tests.

Each test module gets a fresh Gatehouse (the ASan+UBSan build unless
GATEHOUSE_BIN says otherwise) on a free loopback port with a temporary
config, key and database: a SQLite file, or, when GH_TEST_PG_URL names a
PostgreSQL server (scripts/pg-throwaway.sh), a fresh database created on it
per server. Helpers drive the admin command, the login and consent forms,
and the token endpoint exactly as a client would; the database helpers
(query, execute, stored_bytes) read and tamper with either backend.
"""
import atexit
import base64
import glob
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import time
import urllib.parse
import uuid

import pytest
import requests

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.environ.get("GATEHOUSE_BIN", os.path.join(ROOT, "build", "gatehouse-san"))
REDIRECT = "http://127.0.0.1:9000/callback"
PASSWORD = "correct horse battery"
PG_URL = os.environ.get("GH_TEST_PG_URL") or None
_pg_databases = []


def pg_connect(url):
    import psycopg2     # only the PostgreSQL run needs it
    return psycopg2.connect(url)


# PG_LOCK_AUDIT (src/store/pg_int.h): the audit chain's advisory lock,
# which every batch of audit rows takes before it appends
PG_LOCK_AUDIT = 0x47480002


def hold_audit_chain(server):
    """A session holding the audit chain's lock (close it to let go): no
    batch of audit rows of the server commits meanwhile, so no answer that
    waits for one is given."""
    con = pg_connect(server.database)
    con.autocommit = True
    con.cursor().execute("SELECT pg_advisory_lock(%s)", (PG_LOCK_AUDIT,))
    return con


def new_pg_database(template=None):
    """A fresh database on the PostgreSQL under test, a copy of template
    (a database name) when given; its URL."""
    name = "gh_" + uuid.uuid4().hex[:16]
    con = pg_connect(PG_URL)
    try:
        con.autocommit = True
        con.cursor().execute("CREATE DATABASE " + name +
                             (" TEMPLATE " + template if template else ""))
    finally:
        con.close()
    _pg_databases.append(name)
    u = urllib.parse.urlsplit(PG_URL)
    return urllib.parse.urlunsplit(u._replace(path="/" + name))


def pg_database_name(url):
    return urllib.parse.urlsplit(url).path.lstrip("/")


@pytest.fixture(scope="session", autouse=True)
def _drop_pg_databases():
    """dropdb for every database the session created, unless the whole
    server is thrown away after the run (scripts/pg-throwaway.sh run):
    then it would only cost time (some 30 s at the end of a worker)."""
    yield
    if not _pg_databases or os.environ.get("GH_TEST_PG_THROWAWAY") == "1":
        return
    con = pg_connect(PG_URL)
    try:
        con.autocommit = True
        for name in _pg_databases:
            con.cursor().execute("DROP DATABASE IF EXISTS %s WITH (FORCE)"
                                 % name)
    finally:
        con.close()


# Ports come from below the kernel's ephemeral range (32768-60999 on
# Linux), so no outgoing connection and no bind(0) elsewhere can take one
# between free_port() and the server's bind. Each pytest-xdist worker, and
# the SQLite and PostgreSQL runs, draw from a block of their own.
PORT_BASE = 10000
PORT_BLOCK = 1300
_port_next = [0]


def _port_block():
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    index = int(worker[2:]) if worker[2:].isdigit() else 0
    index = index % 8 + (8 if PG_URL else 0)
    return PORT_BASE + index * PORT_BLOCK


def free_port():
    base = _port_block()
    if _port_next[0] == 0:
        _port_next[0] = int.from_bytes(os.urandom(2), "big") % PORT_BLOCK
    for _ in range(PORT_BLOCK):
        port = base + _port_next[0] % PORT_BLOCK
        _port_next[0] += 1
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in %d-%d" % (base, base + PORT_BLOCK))


def preload_shim(monkeypatch, name, **env):
    """Servers started from here on run under the LD_PRELOAD fault shim
    build/test/NAME.so (tests/faults/NAME.c), with env set for it."""
    shim = os.path.join(ROOT, "build", "test", name + ".so")
    assert os.path.exists(shim), "make " + os.path.relpath(shim, ROOT)
    monkeypatch.setenv("LD_PRELOAD", shim)
    for k, v in env.items():
        monkeypatch.setenv(k, str(v))
    # the shim comes before ASan's runtime in the library list
    monkeypatch.setenv("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0:"
                       "verify_asan_link_order=0")


def pkce_pair():
    verifier = base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode()
    digest = hashlib.sha256(verifier.encode()).digest()
    challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    return verifier, challenge


# Snapshots of a server's set-up, made once per worker by the admin
# command itself and copied for every later server that needs the same:
# "init" (config, key and a migrated database, signing keys included) and
# "standard" (init, then the confidential client, the public client and
# alice), "alice" (init and alice). Under ASan each admin command costs a few tenths of a second,
# and most tests start a server like that.
_snapshots = {}
_snapshot_root = []


def _snapshot_dir(name):
    if not _snapshot_root:
        _snapshot_root.append(tempfile.mkdtemp(prefix="gh-e2e-snap-"))
        atexit.register(shutil.rmtree, _snapshot_root[0], True)
    return os.path.join(_snapshot_root[0], name)


class Server:
    """A running Gatehouse with its own folder, plus helpers to drive it."""

    def __init__(self, tmp, database=None, setup=None, **config):
        """database: a SQLite path or a PostgreSQL URL; by default a file
        in tmp, or a fresh PostgreSQL database when GH_TEST_PG_URL is set.
        setup: "standard" adds the confidential client, the public client
        and alice (self.confidential, self.public, self.user); "alice"
        adds alice only."""
        self.dir = str(tmp)
        self.port = free_port()
        self.issuer = "http://127.0.0.1:%d" % self.port
        self.base = self.issuer
        self.conf = os.path.join(self.dir, "gatehouse.json")
        self.log_path = os.path.join(self.dir, "server.log")
        self.proc = None
        if database is not None:
            self._init(database)
        elif setup in _snapshots:
            self._restore(setup)
        elif "init" in _snapshots:
            self._restore("init")
        else:
            self._init(new_pg_database() if PG_URL else
                       os.path.join(self.dir, "gatehouse.db"))
            self._save("init")
        # The admin command reads only the key and the database from the
        # config, so a snapshot serves any config; it is kept only from a
        # server on the default one, as it holds the config file too.
        self._configure(config)
        if setup is not None and not hasattr(self, "user"):
            made = {}
            if setup == "standard":
                made["confidential"] = self.add_client(
                    name="Confidential app")
                made["public"] = self.add_client(
                    name="Public app", public=True,
                    redirect_uris=("http://127.0.0.1:9001/cb",))
            made["user"] = self.add_user()
            for k, v in made.items():
                setattr(self, k, v)
            if not config and database is None:
                self._save(setup, **made)

    def _configure(self, config):
        if config:
            with open(self.conf) as f:
                c = json.load(f)
            c.update(config)
            with open(self.conf, "w") as f:
                json.dump(c, f)

    def _use_database(self, database):
        self.database = database
        self.pg = database.startswith(("postgres://", "postgresql://"))
        self.db = None if self.pg else database    # the SQLite file

    def _init(self, database):
        self._use_database(database)
        self.cli("init", "--issuer", self.issuer,
                 "--listen", "127.0.0.1:%d" % self.port,
                 "--database", database)

    def _save(self, name, **attrs):
        """Keep this server's set-up as snapshot name (not yet started)."""
        d = _snapshot_dir(name)
        os.makedirs(d)
        for f in ("gatehouse.json", "gatehouse.key"):
            shutil.copy2(os.path.join(self.dir, f), d)
        template = None
        if self.pg:
            template = new_pg_database(pg_database_name(self.database))
            template = pg_database_name(template)
        else:
            for path in glob.glob(self.db + "*"):
                shutil.copy2(path, os.path.join(
                    d, "gatehouse.db" + path[len(self.db):]))
        _snapshots[name] = {"dir": d, "template": template, "attrs": attrs}

    def _restore(self, name):
        """This server's folder and database as copies of snapshot name,
        with its own issuer, address and database."""
        snap = _snapshots[name]
        for f in os.listdir(snap["dir"]):
            shutil.copy2(os.path.join(snap["dir"], f), self.dir)
        if snap["template"]:
            self._use_database(new_pg_database(snap["template"]))
        else:
            self._use_database(os.path.join(self.dir, "gatehouse.db"))
        with open(self.conf) as f:
            c = json.load(f)
        c.update(issuer=self.issuer, listen="127.0.0.1:%d" % self.port,
                 database=self.database)
        with open(self.conf, "w") as f:
            json.dump(c, f)
        for k, v in snap["attrs"].items():
            setattr(self, k, dict(v))

    # -- process -------------------------------------------------------
    def start(self):
        env = dict(os.environ)
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
        self.log = open(self.log_path, "ab")
        mark = self.log.tell()
        self.proc = subprocess.Popen([BIN, "--config", self.conf, "serve"],
                                     stdout=self.log, stderr=self.log, env=env)
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("server exited: " + self.log_text())
            try:
                # Answered, and by this process: its log says it listens.
                if requests.get(self.base + "/healthz", timeout=1).ok and \
                        self.logged_since(mark, '"event":"listening"'):
                    return self
            except requests.ConnectionError:
                pass
            time.sleep(0.05)
        raise RuntimeError("server did not start: " + self.log_text())

    def stop(self):
        """SIGTERM; returns the exit code (0 expected: clean drain)."""
        if self.proc is None:
            return 0
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        self.proc = None
        self.log.close()
        return rc

    def logged_since(self, offset, needle):
        with open(self.log_path, "rb") as f:
            f.seek(offset)
            return needle.encode() in f.read()

    def log_text(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")
        except FileNotFoundError:
            return ""

    # -- admin command -------------------------------------------------
    def cli(self, *args, input=None, check=True):
        r = subprocess.run([BIN, "--config", self.conf] + list(args),
                           input=input, capture_output=True, text=True,
                           timeout=60)
        if check and r.returncode != 0:
            raise RuntimeError("gatehouse %s failed (%d): %s" %
                               (" ".join(args), r.returncode, r.stderr))
        return r

    def add_client(self, name="Test app", owner="test-team",
                   redirect_uris=(REDIRECT,),
                   scope="openid profile email offline_access",
                   public=False, auth_method=None):
        args = ["client", "add", "--name", name, "--owner", owner,
                "--scope", scope, "--json"]
        for u in redirect_uris:
            args += ["--redirect-uri", u]
        if public:
            args.append("--public")
        if auth_method:
            args += ["--auth-method", auth_method]
        out = json.loads(self.cli(*args).stdout)
        out["redirect_uri"] = redirect_uris[0]
        out["public"] = public
        out["auth_method"] = auth_method or ("none" if public else
                                             "client_secret_basic")
        return out

    def add_user(self, username="alice", password=PASSWORD):
        self.cli("user", "add", "--username", username, "--password-stdin",
                 input=password + "\n")
        return {"username": username, "password": password}

    # -- database: checks, and tampering for the attack tests ---------
    def query(self, sql, *params):
        """Rows of one SELECT; SQLite-style ? placeholders on both
        backends, blobs as bytes."""
        if not self.pg:
            con = sqlite3.connect(self.db, timeout=10)
            try:
                return con.execute(sql, params).fetchall()
            finally:
                con.close()
        con = pg_connect(self.database)
        try:
            cur = con.cursor()
            cur.execute(sql.replace("?", "%s"), params or None)
            rows = cur.fetchall() if cur.description else []
            con.commit()
            return [tuple(bytes(v) if isinstance(v, memoryview) else v
                          for v in r) for r in rows]
        finally:
            con.close()

    def execute(self, *statements):
        """Run writes in one transaction; each is SQL or (SQL, params)."""
        if self.pg:
            con = pg_connect(self.database)
        else:
            con = sqlite3.connect(self.db, timeout=10)
        try:
            cur = con.cursor()
            for st in statements:
                sql, params = st if isinstance(st, tuple) else (st, ())
                if self.pg:
                    cur.execute(sql.replace("?", "%s"), params or None)
                else:
                    cur.execute(sql, params)
            con.commit()
        finally:
            con.close()

    def stored_bytes(self):
        """What the database holds, as {name: bytes}: the SQLite files
        (database, WAL, ...), or a plain pg_dump of the PostgreSQL
        database, where bytea columns appear as hex text."""
        if self.pg:
            dump = subprocess.run(["pg_dump", "--dbname", self.database],
                                  capture_output=True, check=True,
                                  timeout=60).stdout
            return {"pg_dump": dump}
        files = {}
        for path in sorted(glob.glob(self.db + "*")):
            with open(path, "rb") as f:
                files[path] = f.read()
        return files

    def audit_types(self):
        return [r[0] for r in self.query(
            "SELECT type FROM audit_events ORDER BY seq")]


class Browser:
    """A user agent that signs in and consents through the HTML forms."""

    def __init__(self, server):
        self.server = server
        self.s = requests.Session()

    @staticmethod
    def form_fields(html):
        fields = {}
        for m in re.finditer(r'<input type="hidden" name="([^"]*)" '
                             r'value="([^"]*)">', html):
            fields[m.group(1)] = (m.group(2).replace("&quot;", '"')
                                  .replace("&#39;", "'").replace("&lt;", "<")
                                  .replace("&gt;", ">").replace("&amp;", "&"))
        return fields

    def get(self, params):
        return self.s.get(self.server.base + "/authorize", params=params,
                          allow_redirects=False)

    def post(self, data):
        return self.s.post(self.server.base + "/authorize", data=data,
                           allow_redirects=False)

    def login(self, page, username="alice", password=PASSWORD):
        data = self.form_fields(page.text)
        data.update(username=username, password=password)
        return self.post(data)

    def consent(self, page, decision="allow"):
        data = self.form_fields(page.text)
        data["decision"] = decision
        return self.post(data)

    def authorize(self, params, username="alice", password=PASSWORD,
                  decision="allow"):
        """Walk login and consent as needed; return the final response."""
        r = self.get(params)
        for _ in range(3):
            if r.status_code != 200:
                return r
            if 'value="login"' in r.text:
                r = self.login(r, username, password)
            elif 'value="consent"' in r.text:
                r = self.consent(r, decision)
            else:
                return r
        return r


def auth_params(client, challenge, scope="openid offline_access",
                state="st-123", **extra):
    p = {"response_type": "code", "client_id": client["client_id"],
         "redirect_uri": client["redirect_uri"], "scope": scope,
         "state": state, "code_challenge": challenge,
         "code_challenge_method": "S256"}
    p.update(extra)
    return {k: v for k, v in p.items() if v is not None}


def redirect_params(resp):
    """Query parameters of a redirect's Location, as a dict of lists."""
    loc = resp.headers["Location"]
    return loc, urllib.parse.parse_qs(urllib.parse.urlparse(loc).query)


def token_request(server, client, data, auth=None):
    """POST to /token authenticating as the client's registered method."""
    data = dict(data)
    kw = {}
    method = auth or client.get("auth_method")
    if method == "client_secret_basic":
        kw["auth"] = (client["client_id"], client["client_secret"])
    elif method == "client_secret_post":
        data["client_id"] = client["client_id"]
        data["client_secret"] = client["client_secret"]
    else:
        data["client_id"] = client["client_id"]
    return requests.post(server.base + "/token", data=data, **kw)


def get_code(server, client, scope="openid offline_access", **extra):
    """Full browser leg: returns (code, verifier, redirect params)."""
    verifier, challenge = pkce_pair()
    b = Browser(server)
    r = b.authorize(auth_params(client, challenge, scope=scope, **extra))
    assert r.status_code in (302, 303), r.text
    _, q = redirect_params(r)
    return q["code"][0], verifier, q


# -- a change made by another process ---------------------------------------
# On PostgreSQL each node caches clients (src/store/pg_cache.c) and learns of
# a change committed by another process (the admin command, another node,
# an UPDATE in psql) by NOTIFY, a moment after the commit; until then it
# answers from the client as it was. On SQLite the change is read at once.
# A test that changes a client that way and then asks a running server
# polls for the new state, for at most CHANGE_SECONDS (the node serves no
# cached row older than PG_CACHE_TTL_MS, 500 ms, even if a notification
# is missed). Users, grants, sessions, tokens and alerts are not cached:
# their changes need no poll.
CHANGE_SECONDS = 2.0


def poll(request, done, timeout=CHANGE_SECONDS, step=0.02):
    """request() until done(its answer) or `timeout` seconds passed, and
    the last answer, on which the caller asserts the new state: after a
    timeout that is the old state, and the assertion fails. Each request
    may add audit rows: where a test counts them, or the request spends
    something (a code, a refresh token), wait with await_client_status
    and send the test's own request once."""
    deadline = time.monotonic() + timeout
    r = request()
    while not done(r) and time.monotonic() < deadline:
        time.sleep(step)
        r = request()
    return r


def client_is_open(server, client_id):
    """Whether `server` lets client_id start an authorization (the client
    is active there), asked by a bare GET /authorize: an answer that
    stores, audits and spends nothing, so it can be repeated."""
    r = requests.get(server.base + "/authorize",
                     params={"client_id": client_id}, allow_redirects=False)
    return not (r.status_code == 400 and
                "unknown or disabled client" in r.text)


def await_client_status(server, client_id, active):
    """Wait until `server` sees client_id as active (or as disabled or
    quarantined), after a change made by another process; fail if it
    does not within CHANGE_SECONDS. Disabled and quarantined look alike
    here: to see a quarantine after an enable, wait for the enable first."""
    seen = poll(lambda: client_is_open(server, client_id),
                lambda is_open: is_open == active)
    assert seen == active, "after %s s %s still sees client %s as %s" % (
        CHANGE_SECONDS, server.base, client_id,
        "disabled" if active else "active")


def await_secret(server, client_id, secret):
    """Wait until `server` accepts client_id's new secret (a rotation, or
    an enable after a quarantine, made by another process); fail if it
    does not within CHANGE_SECONDS. Each refusal meanwhile is audited as
    a bad secret."""
    r = poll(lambda: requests.post(server.base + "/introspect",
                                   data={"token": "x"},
                                   auth=(client_id, secret)),
             lambda r: r.status_code == 200)
    assert r.status_code == 200, r.text


def fail_audit_of(s, *types):
    """A trigger (gh_test_fail) makes audit inserts of these event types
    fail; drop it to let them through again."""
    listed = ", ".join("'%s'" % t for t in types)
    if s.pg:
        s.execute("CREATE FUNCTION gh_test_fail() RETURNS trigger AS $$"
                  " BEGIN RAISE EXCEPTION 'injected'; END $$"
                  " LANGUAGE plpgsql",
                  "CREATE TRIGGER gh_test_fail BEFORE INSERT ON audit_events"
                  " FOR EACH ROW WHEN (NEW.type IN (%s)) EXECUTE FUNCTION"
                  " gh_test_fail()" % listed)
    else:
        s.execute("CREATE TRIGGER gh_test_fail BEFORE INSERT ON audit_events"
                  " WHEN NEW.type IN (%s) BEGIN SELECT RAISE(ABORT,"
                  " 'injected'); END" % listed)


@pytest.fixture
def server(tmp_path):
    """A started server with a confidential client, a public client and alice."""
    s = Server(tmp_path, setup="standard")
    s.start()
    yield s
    rc = s.stop()
    log = s.log_text()
    assert "AddressSanitizer" not in log and "runtime error" not in log, log
    assert rc == 0, "server exit code %d\n%s" % (rc, log[-4000:])
