"""Secrets never leave loopgui in a report: redaction of command lines (core/text/redact.py)."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loopgui.core.text.redact import HIDDEN, redact_command, redact_text, redact_words, secret_name

# (argv, what the report shows).  Tokens below are made-up values in the documented shapes.
CASES = [
    (["node", "server.js", "--password=hunter2", "--port", "3000"], "node server.js --password=(hidden) --port 3000"),
    (
        ["node", "server.js", "--password", "hunter2", "--port", "3000"],
        "node server.js --password (hidden) --port 3000",
    ),
    (["app", "-password", "hunter2"], "app -password (hidden)"),
    (["app", "--db-password", "two words"], "app --db-password (hidden)"),
    (
        ["app", "--apiKey=abc", "--api-key", "abc", "--api_key=abc"],
        "app --apiKey=(hidden) --api-key (hidden) --api_key=(hidden)",
    ),
    (
        ["app", "--client-secret=abc", "--auth", "u:p", "--credentials=x"],
        "app --client-secret=(hidden) --auth (hidden) --credentials=(hidden)",
    ),
    (
        ["env", "DB_PASSWORD=abc", "PASSWORD=x", "python", "app.py"],
        "env DB_PASSWORD=(hidden) PASSWORD=(hidden) python app.py",
    ),
    (
        ["env", "AWS_SECRET_ACCESS_KEY=abc", "MY_PWD=x", "passwd=y"],
        "env AWS_SECRET_ACCESS_KEY=(hidden) MY_PWD=(hidden) passwd=(hidden)",
    ),
    (["app", "token:xyz", "/password:abc"], "app token:(hidden) /password:(hidden)"),
    (["mysql", "-u", "root", "-pS3cret!", "shop"], "mysql -u root -p(hidden) shop"),
    (["/usr/bin/mysqldump", "-pS3cret", "shop"], "/usr/bin/mysqldump -p(hidden) shop"),
    (["mysql", "-u", "root", "-p", "shop"], "mysql -u root -p shop"),  # -p alone asks; "shop" is the database
    (["grep", "-pattern"], "grep -pattern"),  # -p… is a password only for the MySQL programs
    (["sshpass", "-p", "secret", "ssh", "host"], "sshpass -p (hidden) ssh host"),
    (["redis-cli", "-a", "secret", "ping"], "redis-cli -a (hidden) ping"),
    (["psql", "postgres://admin:pa55w0rd@db.example:5432/app"], "psql postgres://admin:(hidden)@db.example:5432/app"),
    (["git", "clone", "https://user:tok@github.com/a/b"], "git clone https://user:(hidden)@github.com/a/b"),
    (["curl", "-H", "Authorization: Bearer abc.def"], "curl -H 'Authorization: (hidden)'"),
    (
        ["app", "Server=db;Database=x;User Id=sa;Password=Pa$$w0rd;Encrypt=true"],
        "app 'Server=db;Database=x;User Id=sa;Password=(hidden);Encrypt=true'",
    ),
    (["app", '{"password": "x", "user": "y"}'], """app '{"password": (hidden), "user": "y"}'"""),
    (["gh", "ghp_1234567890abcdefghijABCDEFGHIJ"], "gh (hidden)"),
    (["gh", "github_pat_11ABCDEFG0123456789_abcdefghijklmnop"], "gh (hidden)"),
    (["llm", "sk-proj-abcdefghijklmnop1234"], "llm (hidden)"),
    (["aws", "AKIAIOSFODNN7EXAMPLE"], "aws (hidden)"),
    (["slack", "xoxb-123456789012-abcdefghij"], "slack (hidden)"),
    (
        ["app", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"],
        "app (hidden)",
    ),
    (["app", "q8Zt3Lm0Xv7Rk2Pw9Ys4Jd6Hf1Nc5Bg"], "app (hidden)"),  # random-looking
    (["app", "wJalrXUtnFEMI/K7MDENG/bPx2fiCY3XAMPLE"], "app (hidden)"),  # base64 with slashes
    (["git", "checkout", "3f2a9c4e1b7d8a6f5e0c2b9a8d7e6f5a4b3c2d1e"], "git checkout (hidden)"),  # 40 hex digits
    # Nothing secret: left exactly as it was.
    (["python3", "-m", "http.server", "8000"], "python3 -m http.server 8000"),
    (["app", "--keyboard=us", "--monkey=1", "--author", "Ann"], "app --keyboard=us --monkey=1 --author Ann"),
    (
        ["app", "/usr/lib/python3.11/site-packages/My2Module/Config3File.yaml"],
        "app /usr/lib/python3.11/site-packages/My2Module/Config3File.yaml",
    ),
    (["app", "--name", "my_very_long_service_name_2024_v2"], "app --name my_very_long_service_name_2024_v2"),
    (["java", "-jar", "a.jar", "--server.port=8080"], "java -jar a.jar --server.port=8080"),
    (["app", "http://localhost:3000/path"], "app http://localhost:3000/path"),
    ([], ""),
]


@pytest.mark.parametrize(("argv", "shown"), CASES)
def test_redact_command(argv: list[str], shown: str) -> None:
    assert redact_command(argv) == shown
    assert redact_text(shown) == shown  # idempotent on its own output


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("mysql -u root -pS3cret mydb", "mysql -u root -p(hidden) mydb"),
        ("app --password 'a b c' --x", "app --password (hidden) --x"),
        ("app '--password=a b' x", "app --password=(hidden) x"),
        ('app "--token=a\\"b" x', "app --token=(hidden) x"),
        ("app --password=unclosed 'quote", "app --password=(hidden) 'quote"),
        ("  spaced   --token   x  ", "  spaced   --token   (hidden)  "),
        ("app --port 3000", "app --port 3000"),
    ],
)
def test_redact_text(text: str, shown: str) -> None:
    assert redact_text(text) == shown


def test_secret_names() -> None:
    for name in ("password", "DB_PASSWORD", "apiKey", "api-key", "X-Auth-Token", "clientSecret", "PGPASSWORD", "pwd"):
        assert secret_name(name), name
    for name in ("port", "monkey", "keyboard", "author", "passive", "host", "user"):
        assert not secret_name(name), name


FRAGMENTS = [
    "curl -u ",
    "smbclient -U a%",
    "htpasswd -b ",
    " | ",
    "echo ",
    "--passwd-on-stdin",
    "docker login -u x -p ",
    "https://t@github.com/",
    "https://hooks.slack.com/services/T/B/",
    "Cookie: a=1; ",
    "--cookie ",
    "sh -c '",
    "%",
    "password",
    "--password",
    "-p",
    "mysql",
    "token",
    "key",
    "apiKey",
    "=",
    ":",
    "://",
    "@",
    "/",
    " ",
    "  ",
    "'",
    '"',
    "\\",
    ";",
    ",",
    ")",
    "(",
    HIDDEN,
    "Bearer ",
    "ghp_",
    "sk-",
    "AKIA",
    "eyJ",
    ".",
    "x",
    "Ab3",
    "q8Zt3Lm0Xv7Rk2Pw9Ys4Jd6Hf1Nc5Bg",
    "0123456789abcdef",
    "\n",
    "é",
]
texts = st.one_of(st.lists(st.sampled_from(FRAGMENTS), max_size=40).map("".join), st.text(max_size=200))


@settings(max_examples=400, deadline=None)
@given(texts)
def test_redaction_is_idempotent(text: str) -> None:
    once = redact_text(text)
    assert redact_text(once) == once
    words = text.split()
    assert redact_words(redact_words(words)) == redact_words(words)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=6).map("".join))
def test_redaction_is_linear_time(unit: str) -> None:
    """A 100 KB command line made of any repeated piece takes well under the bound (it catches quadratic work:
    100 KB squared would take minutes)."""
    text = (unit * (100_000 // len(unit) + 1))[:100_000]
    start = time.monotonic()
    redact_text(text)
    redact_words(text.split(" ")[:20_000])
    assert time.monotonic() - start < 5


def test_program_labels_in_the_table_and_exports_leave_tokens_out() -> None:
    from loopgui.core.programs.labels import program_label

    label = program_label("node", ["node", "server.js", "ghp_1234567890abcdefghijABCDEFGHIJ"])
    assert label == "node server.js …"
    assert program_label("python3", ["python3", "app.py", "--port", "8000"]) == "python3 app.py --port 8000"
