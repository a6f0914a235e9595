"""`gatehouse init` (the files it makes, and what it refuses) and
`gatehouse check-config` (every refused value named, secrets hidden),
and serve refusing what check-config refuses."""
import json
import os
import stat
import subprocess

import pytest

from conftest import BIN, PG_URL, Server, new_pg_database


# -- init ------------------------------------------------------------------
def init(conf, *args, cwd=None):
    return subprocess.run([BIN, "--config", str(conf), "init"] + list(args),
                          capture_output=True, text=True, timeout=60,
                          cwd=cwd)


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_init_refuses_a_bad_value_and_leaves_no_config(tmp_path):
    """init wrote the config before validating it: a refused value left
    it behind, and the corrected run kept it ("kept existing config")."""
    conf = tmp_path / "gatehouse.json"
    r = init(conf, "--listen", "localhost:8080")
    assert r.returncode == 1
    assert "listen" in r.stderr and "numeric" in r.stderr, r.stderr
    assert os.listdir(tmp_path) == []    # no config, temporary file or key
    r = init(conf, "--listen", "127.0.0.1:8081")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("wrote config "), r.stdout
    with open(conf) as f:
        assert json.load(f)["listen"] == "127.0.0.1:8081"
    assert sorted(os.listdir(tmp_path)) == ["gatehouse.db", "gatehouse.json",
                                            "gatehouse.key"]


def test_init_files_are_private_whatever_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        r = init(tmp_path / "gatehouse.json")
    finally:
        os.umask(old)
    assert r.returncode == 0, r.stderr
    for name in ("gatehouse.json", "gatehouse.key", "gatehouse.db"):
        assert mode(tmp_path / name) == 0o600, name


def test_init_database_is_relative_to_the_current_folder(tmp_path):
    """--database data/gh.db named a file in the config's folder, not
    where the shell that typed it was."""
    etc, work = tmp_path / "etc", tmp_path / "work"
    etc.mkdir()
    work.mkdir()
    r = init(etc / "g.json", "--database", "data.db", cwd=str(work))
    assert r.returncode == 0, r.stderr
    with open(etc / "g.json") as f:
        assert json.load(f)["database"] == str(work / "data.db")
    assert (work / "data.db").exists() and not (etc / "data.db").exists()
    r = subprocess.run([BIN, "--config", str(etc / "g.json"),
                        "check-config"], capture_output=True, text=True,
                       timeout=60, cwd=str(tmp_path))
    assert r.returncode == 0 and r.stdout.rstrip().endswith(
        "database " + str(work / "data.db")), r.stdout + r.stderr


def test_init_says_whether_it_made_the_key_file(tmp_path):
    conf = tmp_path / "gatehouse.json"
    r = init(conf)
    assert r.returncode == 0, r.stderr
    assert "\ncreated key file " in r.stdout, r.stdout
    r = init(conf, "--listen", "127.0.0.1:9999")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("kept existing config ")
    assert "\nkept existing key file " in r.stdout, r.stdout
    assert "--listen ignored" in r.stderr, r.stderr


def test_init_refuses_a_key_file_planted_by_someone_else(tmp_path):
    """A key file that existed was adopted as long as its mode was 0600:
    a symbolic link to a key someone else holds, or their own file."""
    conf = tmp_path / "gatehouse.json"
    theirs = tmp_path / "theirs.key"
    theirs.write_text("ab" * 32 + "\n")
    theirs.chmod(0o600)
    os.symlink(theirs, tmp_path / "gatehouse.key")
    r = init(conf)
    assert r.returncode == 1, r.stdout
    assert "symbolic link" in r.stderr, r.stderr
    assert not (tmp_path / "gatehouse.db").exists()
    if os.geteuid() != 0:
        return              # only root can give a file to another user
    os.remove(tmp_path / "gatehouse.key")
    os.rename(theirs, tmp_path / "gatehouse.key")
    os.chown(tmp_path / "gatehouse.key", 65534, 65534)      # nobody
    r = init(conf)
    assert r.returncode == 1, r.stdout
    assert "another user" in r.stderr, r.stderr
    assert not (tmp_path / "gatehouse.db").exists()


# -- check-config ----------------------------------------------------------
@pytest.fixture
def unstarted(tmp_path):
    return Server(tmp_path)


def edit_config(server, **changes):
    with open(server.conf) as f:
        c = json.load(f)
    c.update(changes)
    with open(server.conf, "w") as f:
        json.dump(c, f)


def test_check_config_passes_on_good_config(unstarted):
    r = unstarted.cli("check-config", check=False)
    assert r.returncode == 0, r.stderr


def test_check_config_names_unknown_key(unstarted):
    edit_config(unstarted, code_ttl_secs=30)
    r = unstarted.cli("check-config", check=False)
    assert r.returncode != 0
    assert "code_ttl_secs" in r.stderr


def test_check_config_refuses_code_ttl_over_600(unstarted):
    edit_config(unstarted, code_ttl_seconds=601)
    r = unstarted.cli("check-config", check=False)
    assert r.returncode != 0
    assert "code_ttl_seconds" in r.stderr


@pytest.mark.parametrize("key,value", [
    ("code_ttl_seconds", 600), ("code_ttl_seconds", 1),
    ("connection_timeout_seconds", 2), ("request_deadline_seconds", 1),
    ("request_deadline_seconds", 600)])
def test_check_config_accepts_bounds(unstarted, key, value):
    edit_config(unstarted, **{key: value})
    r = unstarted.cli("check-config", check=False)
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("key,value", [
    ("code_ttl_seconds", 0), ("code_ttl_seconds", "60"),
    ("issuer", "http://auth.example.com"), ("issuer", "https://a/?x=1"),
    ("listen", "nohost"), ("session_ttl_seconds", 10),
    ("request_deadline_seconds", 0), ("request_deadline_seconds", 601),
    # passed here, then refused or misread by serve
    ("listen", "localhost:8080"), ("issuer", "https://user:pw@id.example.com"),
    ("issuer", "https:///x"), ("database", "sqlite:///var/lib/gh.db"),
    # passed here, then never delivered (the sender refused them)
    ("webhook_url", "http://user:pw@127.0.0.1:1/hook"),
    ("webhook_url", "http://127.0.0.1:1/ho ok"),
    ("webhook_url", "http://127.0.0.1:1/hook#frag")])
def test_check_config_refuses_bad_values(unstarted, key, value):
    edit_config(unstarted, **{key: value})
    r = unstarted.cli("check-config", check=False)
    assert r.returncode != 0
    assert key in r.stderr


@pytest.mark.parametrize("url,shown", [
    ("postgresql://gh:s3cret-pw@127.0.0.1:1/gh",
     "postgresql://gh:***@127.0.0.1:1/gh"),
    # libpq decodes the parameter's name: it is the password (was shown)
    ("postgresql://gh@127.0.0.1:1/gh?pass%77ord=s3cret-pw",
     "postgresql://gh@127.0.0.1:1/gh?pass%77ord=***")])
def test_check_config_hides_the_database_password(unstarted, url, shown):
    """check-config now opens the database (to check the key file against
    it): nobody listens on port 1, and the error shows the URL too."""
    edit_config(unstarted, database=url)
    r = unstarted.cli("check-config", check=False)
    assert r.returncode == 1, r.stdout
    assert "s3cret-pw" not in r.stdout + r.stderr
    assert "gatehouse: database " + shown + ": " in r.stderr, r.stderr


def test_a_config_holding_a_secret_must_be_private(unstarted):
    """A config with webhook_secret (kept nowhere else) or a database
    password was loaded at any mode, while the key file beside it was
    refused at 0644."""
    edit_config(unstarted, webhook_url="https://hooks.example/gh",
                webhook_secret="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    assert mode(unstarted.conf) == 0o600
    assert unstarted.cli("check-config", check=False).returncode == 0
    for m in (0o644, 0o640, 0o660):
        os.chmod(unstarted.conf, m)
        r = unstarted.cli("check-config", check=False)
        assert r.returncode == 1, r.stdout
        assert "holds webhook_secret" in r.stderr, r.stderr
        assert "chmod 600" in r.stderr, r.stderr
        assert "MfKQ9r8" not in r.stderr
    with pytest.raises(RuntimeError):
        unstarted.start()
    unstarted.proc = None
    unstarted.log.close()
    assert "holds webhook_secret" in unstarted.log_text()
    # without a secret, the mode is the operator's business as before
    with open(unstarted.conf) as f:
        c = json.load(f)
    del c["webhook_url"], c["webhook_secret"]
    with open(unstarted.conf, "w") as f:
        json.dump(c, f)
    assert mode(unstarted.conf) == 0o660
    r = unstarted.cli("check-config", check=False)
    assert r.returncode == 0, r.stderr


def test_sqlite_prefix_names_the_same_file(unstarted):
    """"sqlite:/abs/path" became "<config folder>/sqlite:/abs/path"."""
    if unstarted.pg:
        pytest.skip("a SQLite file")
    edit_config(unstarted, database="sqlite:" + unstarted.db)
    r = unstarted.cli("check-config")
    assert r.stdout.rstrip().endswith("database " + unstarted.db), r.stdout
    r = unstarted.cli("admin", "add", "--name", "ops")
    assert unstarted.query("SELECT name FROM admins") == [("ops",)]


def test_serve_refuses_bad_config(unstarted):
    edit_config(unstarted, code_ttl_seconds=601)
    with pytest.raises(RuntimeError):
        unstarted.start()
    assert unstarted.proc.returncode != 0
    unstarted.proc = None
    unstarted.log.close()


def test_check_config_fails_without_key_file(unstarted):
    with open(unstarted.conf) as f:
        key = json.load(f).get("key_file", "gatehouse.key")
    path = key if os.path.isabs(key) else os.path.join(unstarted.dir, key)
    os.remove(path)
    r = unstarted.cli("check-config", check=False)
    assert r.returncode != 0


# -- the key file and the database ------------------------------------------
def key_path(server):
    return os.path.join(server.dir, "gatehouse.key")


def test_a_key_file_of_another_database_is_refused(tmp_path):
    """Any valid key file was used with any database: with another one (a
    node given another node's key, a new one made after the right one
    was lost) serve started with an empty /jwks, refused every
    confidential client and every refresh token, and chained its audit
    events under that key, so that `audit verify` called the trail
    broken once the right key was back. Every command now refuses before
    writing anything."""
    s = Server(tmp_path, setup="standard")
    with open(key_path(s)) as f:
        right = f.read()
    events = s.query("SELECT count(*) FROM audit_events")[0][0]
    with open(key_path(s), "w") as f:       # keeps its mode, 0600
        f.write(os.urandom(32).hex() + "\n")
    for args, stdin in ((["check-config"], None), (["client", "list"], None),
                        (["user", "add", "--username", "bob",
                          "--password-stdin"], "correct horse battery\n"),
                        (["keys", "rotate"], None),
                        (["audit", "verify"], None), (["init"], None)):
        r = s.cli(*args, input=stdin, check=False)
        assert r.returncode == 1, (args, r.stdout)
        assert "the key file does not match the database" in r.stderr, \
            (args, r.stderr)
    with pytest.raises(RuntimeError):
        s.start()
    s.proc = None
    s.log.close()
    assert "the key file does not match the database" in s.log_text()
    # nothing was written under the other key
    assert s.query("SELECT count(*) FROM audit_events")[0][0] == events
    assert s.query("SELECT count(*) FROM users WHERE username = 'bob'") == \
        [(0,)]
    with open(key_path(s), "w") as f:
        f.write(right)
    r = s.cli("audit", "verify", check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    assert s.cli("check-config").returncode == 0


def test_init_makes_no_new_key_for_a_database_with_keys(tmp_path):
    """With the key file lost, `init` made a new one for the database
    and said it was done: every command then ran under the wrong key."""
    s = Server(tmp_path, setup="standard")
    os.rename(key_path(s), key_path(s) + ".right")
    events = s.query("SELECT count(*) FROM audit_events")[0][0]
    r = s.cli("init", check=False)
    assert r.returncode == 1, r.stdout
    assert "does not exist, but the database" in r.stderr, r.stderr
    assert "restore that key file" in r.stderr, r.stderr
    assert not os.path.exists(key_path(s))
    assert s.query("SELECT count(*) FROM audit_events")[0][0] == events
    os.rename(key_path(s) + ".right", key_path(s))
    r = s.cli("init")
    assert "\nkept existing key file " in r.stdout, r.stdout


def test_nodes_of_one_new_database_with_keys_of_their_own(tmp_path):
    """Nodes set up together on one empty database, each with a key file
    of its own: one node's signing keys are stored, and every other node
    is refused when it finds them (it found no key when it opened the
    database, so the check comes after the first keys are made)."""
    url = new_pg_database() if PG_URL else str(tmp_path / "shared.db")
    procs = []
    for i in range(4):
        d = tmp_path / ("node%d" % i)
        d.mkdir()
        fd = os.open(d / "gatehouse.key", os.O_WRONLY | os.O_CREAT, 0o600)
        os.write(fd, (os.urandom(32).hex() + "\n").encode())
        os.close(fd)
        procs.append(subprocess.Popen(
            [BIN, "--config", str(d / "gatehouse.json"), "init",
             "--database", url], stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True))
    errs = [p.communicate(timeout=60)[1] for p in procs]
    results = [(p.returncode, err) for p, err in zip(procs, errs)]
    assert sorted(rc for rc, _ in results) == [0, 1, 1, 1], results
    for rc, err in results:
        assert rc == 0 or "does not match the database" in err, err
