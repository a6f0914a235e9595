"""`gatehouse init` (the files it makes, and what it refuses) and
`gatehouse check-config` (every refused value named, secrets hidden),
and serve refusing what check-config refuses."""
import json
import os
import stat
import subprocess

import pytest

from conftest import BIN, Server


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


def test_check_config_hides_the_database_password(unstarted):
    edit_config(unstarted,
                database="postgresql://gh:s3cret-pw@127.0.0.1:1/gh")
    r = unstarted.cli("check-config", check=False)
    assert r.returncode == 0, r.stderr
    assert "s3cret-pw" not in r.stdout + r.stderr
    assert "postgresql://gh:***@127.0.0.1:1/gh" in r.stdout, r.stdout


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
