"""Issue 11: reviews and approvals signed by the person, not only by the lab or the
service. ``labctl registry key person ID`` makes the person's key (mode 0600) and prints
the personnel-list line; ``review``/``approve`` sign with it; the registry refuses an act
of a person with a key in the list whose personal signature is missing or bad (and one
carrying a signature the list cannot check); ``verify --personnel`` checks the stored
signatures against the list. People without keys act as before. SQLite and PostgreSQL."""

from __future__ import annotations

import os
import stat

import pytest
from reviews_support import PERSONNEL, push_signed

from labctl.cli import main
from labctl.errors import ConfigError
from labctl.personnel import load_personnel
from labctl.registry.review_entry import act_statement, sign_act
from labctl.registry.reviews import PersonSignatureRefused
from labctl.registry.signing import key_id, load_or_create_key
from labctl.registry.store import open_registry


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch):
    monkeypatch.setenv("COLUMNS", "400")


def _make_person_key(person_id: str, capsys) -> str:
    """``labctl registry key person ID``; the line it prints for the list."""
    assert main(["registry", "key", "person", person_id]) == 0
    captured = capsys.readouterr()
    line = captured.out.strip()
    assert line.startswith("public_key: "), captured
    assert f"Add this line under person {person_id} in the personnel list" in captured.err
    return line


def _list_with_keys(directory, keys: dict[str, str]) -> str:
    """The test personnel list with ``public_key`` lines added under the people named."""
    lines = []
    for line in PERSONNEL.splitlines():
        lines.append(line)
        for person_id, key_line in keys.items():
            if line.strip() == f"- id: {person_id}":
                lines.append(f"    {key_line}")
    path = directory / "personnel-keys.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


@pytest.fixture
def hzhou_line(capsys):
    """H. Zhou's key in this labctl home, and its line for the list."""
    return _make_person_key("hzhou", capsys)


@pytest.fixture
def people_file(tmp_path, hzhou_line):
    """The list with H. Zhou's key; M. Chen has none."""
    return _list_with_keys(tmp_path, {"hzhou": hzhou_line})


@pytest.fixture
def reg(registry_url):
    with open_registry(registry_url) as registry:
        yield registry


def _hzhou_key():
    from labctl.paths import person_key_path

    return load_or_create_key(person_key_path("hzhou"))


def test_key_person_makes_a_private_key_0600_and_prints_the_list_line(hzhou_line, capsys,
                                                                       tmp_path):
    from labctl.paths import person_key_path

    path = person_key_path("hzhou")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    key = load_or_create_key(path)
    people = load_personnel(_list_with_keys(tmp_path, {"hzhou": hzhou_line}))
    assert key_id(people.public_key_of("hzhou")) == key_id(key.public_key())
    assert people.public_key_of("mchen") is None  # no key: acts as before
    assert _make_person_key("hzhou", capsys) == hzhou_line  # kept, not replaced
    assert main(["registry", "key", "person", "../Boss"]) == 2
    assert "'../Boss' is not a person id" in capsys.readouterr().err
    if os.name == "posix":
        path.chmod(0o644)
        assert main(["registry", "review", "x", "--approve", "--as", "hzhou"]) == 2
        assert "readable by others" in capsys.readouterr().err


def test_a_bad_public_key_in_the_list_is_refused_with_its_line(tmp_path):
    path = _list_with_keys(tmp_path, {"mchen": "public_key: bm90IGEga2V5"})
    with pytest.raises(ConfigError, match=r"personnel-keys.yaml:\d+:\d+.*Ed25519 public key "
                                          r"is 32 bytes, this is 9"):
        load_personnel(path)
    path = _list_with_keys(tmp_path, {"mchen": "public_key: '***'"})
    with pytest.raises(ConfigError, match="public_key: not base64"):
        load_personnel(path)


def test_review_and_approve_with_and_without_personal_keys(registry_url, make_record,
                                                           lab_key, people_file, capsys):
    """H. Zhou (a key) reviews through the command: the entry carries her signature beside
    the lab key's; M. Chen (no key) approves as before; verify against the list is clean."""
    with open_registry(registry_url) as reg:
        record = push_signed(reg, make_record, lab_key)
    common = ["--registry", registry_url, "--personnel", people_file]
    assert main(["registry", "review", record.id[:8], "--approve", "--reason", "checked",
                 "--as", "H. Zhou", *common]) == 0
    personal = key_id(_hzhou_key().public_key())
    assert f"signed personally by H. Zhou with key {personal}, beside key " in \
        capsys.readouterr().out
    assert main(["registry", "approve", record.id, "--as", "mchen", *common]) == 0
    assert "signed personally" not in capsys.readouterr().out
    with open_registry(registry_url) as reg:
        review, approval = reg.review_entries(record.id)
        assert review["person_signature"]["key_id"] == personal
        assert review["key_id"] == key_id(load_or_create_key().public_key())  # the lab key
        assert "person_signature" not in approval
        people = load_personnel(people_file)
        assert reg.verify_reviews(record.lab, personnel=people) == []
        signatories = reg.approval(record.id, people)["signatories"]
    assert [(s["name"], s["personal_key"]) for s in signatories] == [
        ("H. Zhou", personal), ("M. Chen", "")]
    assert main(["registry", "verify", *common]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert f"personnel: {people_file}" in out
    assert main(["registry", "show", record.id, "--registry", registry_url]) == 0
    assert f"personal key {personal}" in " ".join(capsys.readouterr().out.split())


def _statement(record, act="review", decision="approved", reason="ok", person="hzhou"):
    return act_statement(record.lab, act, record.id, record.hash, decision, reason, person)


def test_every_bad_personal_signature_is_refused(reg, make_record, lab_key, people_file):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    people = load_personnel(people_file)
    record = push_signed(reg, make_record, lab_key)
    hzhou = _hzhou_key()

    def review(signature, person="hzhou"):
        return reg.review(record.id, approve=True, reason="ok", person=person,
                          personnel=people, key=lab_key, person_signature=signature)

    with pytest.raises(PersonSignatureRefused, match=r"H. Zhou \(hzhou\) has a public key in "
                       "the personnel list, so their acts must carry their personal "
                       "signature, and this one carries none"):
        review(None)
    stranger = Ed25519PrivateKey.generate()
    with pytest.raises(PersonSignatureRefused, match=f"is by key "
                       f"{key_id(stranger.public_key())}, but the personnel list gives hzhou "
                       f"key {key_id(hzhou.public_key())}"):
        review(sign_act(_statement(record), stranger))
    with pytest.raises(PersonSignatureRefused, match="bad personal signature: key .* did not "
                       "sign this act"):  # her key, another act (a rejection)
        review(sign_act(_statement(record, decision="rejected"), hzhou))
    with pytest.raises(PersonSignatureRefused, match="bad personal signature"):  # another reason
        review(sign_act(_statement(record, reason="looked at it"), hzhou))
    with pytest.raises(PersonSignatureRefused, match="not an object with key_id, public_key "
                                                     "and signature"):
        review({"key_id": "x"})
    forged = {**sign_act(_statement(record), hzhou), "key_id": "0123456789abcdef"}
    with pytest.raises(PersonSignatureRefused, match="names key 0123456789abcdef but carries"):
        review(forged)
    with pytest.raises(PersonSignatureRefused, match=r"personal signature of M. Chen \(mchen\), "
                       "but the personnel list gives no public key for them"):
        review(sign_act(_statement(record, person="mchen"), hzhou), person="mchen")
    assert reg.review_status(record.id).status == "unreviewed"  # nothing was written
    entry = review(sign_act(_statement(record), hzhou))
    assert entry["person_signature"]["key_id"] == key_id(hzhou.public_key())
    assert reg.verify_reviews(record.lab, personnel=people) == []


def test_verify_checks_personal_signatures_against_the_list(reg, make_record, lab_key,
                                                            people_file, tmp_path,
                                                            monkeypatch):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from labctl.personnel import Personnel
    from labctl.registry.signing import public_key_text

    people = load_personnel(people_file)
    signed, bypassed = (push_signed(reg, make_record, lab_key) for _ in range(2))
    reg.review(signed.id, approve=True, reason="ok", person="hzhou", personnel=people,
               key=lab_key, person_signature=sign_act(_statement(signed), _hzhou_key()))
    # an act made around labctl's check (its list gives H. Zhou a key, it has no signature)
    with monkeypatch.context() as m:
        m.setattr(Personnel, "public_key_of", lambda self, person_id: None)
        bypass = reg.review(bypassed.id, approve=True, reason="ok", person="hzhou",
                            personnel=people, key=lab_key)
    problems = reg.verify_reviews(signed.lab, personnel=people)
    assert problems == [
        f"lab 'Municipal Metrology Institute', review entry {bypass['id'][:8]} (#2, review of "
        f"record {bypassed.id[:8]}): no personal signature of H. Zhou (hzhou), although the "
        f"personnel list it was checked against ({people_file}, same sha256) gives them a "
        "key: labctl refuses such an act, so the entry was not made through it"]
    assert reg.verify_reviews(signed.lab) == []  # without the list: integrity only
    other_key = public_key_text(Ed25519PrivateKey.generate().public_key())
    changed = load_personnel(_list_with_keys(tmp_path, {"hzhou": f"public_key: {other_key}"}))
    # her key was replaced in a later list: her signed entry is named; the unsigned one is
    # not (that list is not the one it was checked against: she may have had no key then)
    problems = reg.verify_reviews(signed.lab, personnel=changed)
    assert len(problems) == 1 and f"review of record {signed.id[:8]}): the personal " \
        "signature is by key" in problems[0] and \
        "but the personnel list gives hzhou key" in problems[0]


def test_verify_command_with_the_list_names_a_personal_signature_problem(
        registry_url, make_record, lab_key, people_file, tmp_path, capsys):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from labctl.registry.signing import public_key_text

    with open_registry(registry_url) as reg:
        record = push_signed(reg, make_record, lab_key)
    assert main(["registry", "review", record.id, "--approve", "--as", "hzhou",
                 "--registry", registry_url, "--personnel", people_file]) == 0
    other_key = public_key_text(Ed25519PrivateKey.generate().public_key())
    (tmp_path / "changed").mkdir()
    changed = _list_with_keys(tmp_path / "changed", {"hzhou": f"public_key: {other_key}"})
    capsys.readouterr()
    assert main(["registry", "verify", "--registry", registry_url, "--personnel",
                 changed]) == 1
    out = " ".join(capsys.readouterr().out.split())
    assert f"review of record {record.id[:8]}): the personal signature is by key " in out
    assert main(["registry", "verify", "--registry", registry_url, "--personnel",
                 people_file]) == 0


def test_a_key_the_list_does_not_know_yet_is_not_used(registry_url, make_record, lab_key,
                                                      hzhou_line, tmp_path, capsys):
    """H. Zhou made her key but the quality manager has not added it to the list yet: her
    review goes through unsigned (the registry could not check the signature and would
    refuse it), and the command says why."""
    people_file = _list_with_keys(tmp_path, {})  # nobody's key
    with open_registry(registry_url) as reg:
        record = push_signed(reg, make_record, lab_key)
    assert main(["registry", "review", record.id, "--approve", "--reason", "checked",
                 "--as", "hzhou", "--registry", registry_url, "--personnel", people_file]) == 0
    captured = capsys.readouterr()
    personal = key_id(_hzhou_key().public_key())
    assert (f"note: H. Zhou's key {personal} is not in the personnel list yet: acting "
            "without a personal signature") in " ".join(captured.err.split())
    assert "signed personally" not in captured.out
    with open_registry(registry_url) as reg:
        (review,) = reg.review_entries(record.id)
        assert "person_signature" not in review
        assert reg.review_status(record.id).status == "reviewed"
