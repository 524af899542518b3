"""Bad input to ``sessim send`` is refused before anything is sent, naming where."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from send_sink import free_port, write_job

from sessim.cli import main
from sessim.errors import InputError
from sessim.send import runner
from sessim.send.config import Sending
from sessim.send.recipients import BadRow, read_recipients, read_template


def cli(files, *extra):
    scenario, recipients, message = files
    return CliRunner().invoke(main, ["send", str(scenario), "--recipients", str(recipients),
                                     "--message", str(message), *extra])


def test_bad_rows_are_reported_with_their_line_numbers(tmp_path):
    """Wrong field count, invalid address, CR/LF in a value, duplicates: line numbers."""
    path = tmp_path / "r.csv"
    path.write_text('email,first_name\nok@a.example.com,A\nnot-an-address,B\n'
                    'c@a.example.com,C,extra\n"d@a.example.com","D\r\nBcc: x@evil.example"\n'
                    'e@a.example.com\r\nSubject: x,E\n')
    rows = list(read_recipients(path))
    bad = {r.line: r.reason for r in rows if isinstance(r, BadRow)}
    assert 3 in bad and "invalid address" in bad[3]
    assert 4 in bad and "3 fields" in bad[4]
    assert 6 in bad and "CR or LF" in bad[6]
    assert [r.email for r in rows if not isinstance(r, BadRow)][0] == "ok@a.example.com"


def test_abort_or_skip_bad_rows(tmp_path):
    """--on-bad-row abort (default) exits 2 naming the line; skip goes on (dry run)."""
    files = write_job(tmp_path, free_port(), ["ok@a.example.com", "bad address"])
    result = cli(files, "--dry-run")
    assert result.exit_code == 2
    assert "line 3" in result.output and "invalid address" in result.output
    result = cli(files, "--dry-run", "--on-bad-row", "skip")
    assert result.exit_code == 0, result.output
    assert "skipped" in result.output and "line 3" in result.output


def test_duplicate_recipient_is_a_bad_row(tmp_path):
    files = write_job(tmp_path, free_port(), ["a@x.example.com", "A@x.example.com"])
    with pytest.raises(InputError, match="line 3: duplicate of line 2"):
        runner.load_inputs(*files)


@pytest.mark.parametrize("text, why", [
    ("just some text without headers\n", "not an RFC 5322 header"),
    ("Subject: hi\nBad header line\n\nbody\n", "line 2"),
    ("From: a@example.com\n\nbody\n", "no Subject"),
    ("Subject: " + "x" * 1000 + "\n\nbody\n", "998"),
])
def test_message_that_is_not_rfc5322_is_refused(tmp_path, text, why):
    path = tmp_path / "m.eml"
    path.write_text(text)
    with pytest.raises(InputError, match=why):
        read_template(path)


def test_not_rfc5322_message_exits_2_before_sending(tmp_path):
    files = write_job(tmp_path, free_port(), ["a@x.example.com"])
    files[2].write_text("hello\n")
    result = cli(files, "--state", str(tmp_path / "state"))
    assert result.exit_code == 2
    assert not (tmp_path / "state").exists()


def test_placeholder_with_cr_lf_cannot_inject_headers(tmp_path):
    """A value filled into a header must not add a header."""
    path = tmp_path / "m.eml"
    path.write_text("Subject: Hi {{name}}\n\nbody\n")
    template = read_template(path)
    with pytest.raises(InputError, match="CR or LF"):
        template.render({"name": "x\r\nBcc: victim@example.com"}, [])
    with pytest.raises(InputError, match="CR or LF"):
        template.render({}, [("To", "a@example.com\nBcc: v@example.com")])
    assert b"Subject: Hi Ann\r\n" in template.render({"name": "Ann"}, [])


def test_scenario_without_sending_section_is_an_input_error(tmp_path):
    files = write_job(tmp_path, free_port(), ["a@x.example.com"])
    text = files[0].read_text()
    files[0].write_text(text[:text.index("sending:")])
    result = cli(files, "--dry-run")
    assert result.exit_code == 2 and "no 'sending' section" in result.output


def test_credentials_only_by_env_var_name(tmp_path):
    """Unknown keys (such as a password) are refused in the sending section; a missing
    env var is an input error naming the variable, not its value."""
    with pytest.raises(ValueError, match="password"):
        Sending.model_validate({"relay": {"host": "h", "password": "pw"},
                                "envelope_from": "a@b.example", "from_header": "a@b.example"})
    relay = "{host: 127.0.0.1, port: 1, tls: none, username_env: NO_SUCH_U, password_env: NO_P}"
    files = write_job(tmp_path, 1, ["a@x.example.com"], relay=relay)
    inputs = runner.load_inputs(*files)
    with pytest.raises(InputError, match="NO_SUCH_U"):
        runner.send(inputs, tmp_path / "state", environ={})


def test_dry_run_prints_todays_routing(tmp_path):
    """Warm-up cap 8/day, of which an hour may use 6 hours' share = 2 an hour: the
    warming pool carries 2 an hour, the rest overflows to the shared pool; nothing is
    sent and no state is written."""
    emails = [f"u{i}@gmail.com" for i in range(5)] + ["x@yahoo.com"]
    files = write_job(tmp_path, free_port(), emails, cap=8, rate=1)
    result = cli(files, "--dry-run", "--state", str(tmp_path / "state"))
    assert result.exit_code == 0, result.output
    assert "warm-up day: 1" in result.output
    lines = {ln.split()[0]: ln.split()[1:] for ln in result.output.splitlines()[2:]}
    assert lines["gmail"][0] == "5" and int(lines["gmail"][1]) + int(lines["gmail"][2]) == 5
    assert int(lines["gmail"][2]) > 0, "nothing overflowed at 2 an hour"
    assert lines["yahoo"][0] == "1"
    assert not (tmp_path / "state").exists()
