"""The parse cache: same answers with and without it, cold and warm, and safe."""

from __future__ import annotations

import datetime
import json
import os
import shutil
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import cli
from generator.model.plain import plain_entry
from generator.model.records import (
    CONTACT_METHODS,
    SESSION_STATUSES,
    Contact,
    Session,
    TreatmentPlan,
)
from generator.model.schema import CLIENT, SESSION
from generator.reading.cache import _FORMAT, FILE_NAME, ParseCache, cache_folder
from generator.reading.exact import load_workspace
from tests.conftest import DEMO_AS_OF
from tests.test_build import copy_demo


def check_json(workspace: Path, monkeypatch: pytest.MonkeyPatch, cached: bool) -> str:
    if cached:
        monkeypatch.delenv("CASELOAD_NO_CACHE", raising=False)
    else:
        monkeypatch.setenv("CASELOAD_NO_CACHE", "1")
    result = CliRunner().invoke(cli, ["check", str(workspace), "--as-of", DEMO_AS_OF,
                                      "--format", "json"])
    assert result.exit_code in (0, 1), result.stderr
    return result.stdout


def stored_file(workspace: Path) -> Path:
    return cache_folder(workspace) / FILE_NAME


def stored_entries(workspace: Path) -> dict[str, list]:
    """The cache file's entries, decoded: a header line, then "<key> <JSON>" lines."""
    header, *lines = stored_file(workspace).read_text(encoding="utf-8").splitlines()
    assert header.startswith("caseload-parse-cache-")
    return {line[:64]: json.loads(line[65:]) for line in lines}


def store_entries(workspace: Path, entries: dict[str, list]) -> None:
    header = stored_file(workspace).read_text(encoding="utf-8").splitlines()[0]
    stored_file(workspace).write_text(
        "\n".join([header, *(f"{key} {json.dumps(entry)}" for key, entry in entries.items())])
        + "\n", encoding="utf-8")


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    return copy_demo(tmp_path)


def test_output_is_identical_without_cache_cold_and_warm(
        workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plain = check_json(workspace, monkeypatch, cached=False)
    assert not cache_folder(workspace).exists()
    cold = check_json(workspace, monkeypatch, cached=True)
    assert stored_file(workspace).is_file()
    warm = check_json(workspace, monkeypatch, cached=True)
    assert plain == cold == warm
    assert load_workspace(workspace) == load_workspace(workspace, ParseCache(workspace))


def test_a_changed_file_is_read_again(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    check_json(workspace, monkeypatch, cached=True)
    path = workspace / "content" / "lee" / "C-1001.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("Maya Castellanos", "Maya Renamed"),
                    encoding="utf-8")
    warm = json.loads(check_json(workspace, monkeypatch, cached=True))
    assert warm["clients"][0]["name"] == "Maya Renamed"


def test_errors_are_reported_on_every_run(workspace: Path) -> None:
    (workspace / "content" / "bad.yaml").write_text("id: C-9\nname: X\n", encoding="utf-8")
    for _ in range(2):
        result = CliRunner().invoke(cli, ["check", str(workspace)])
        assert result.exit_code == 2
        assert "content/bad.yaml:1: document: missing required key 'intake_date'" in result.stderr


def test_cross_file_checks_run_on_cached_clients(workspace: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    check_json(workspace, monkeypatch, cached=True)
    source = workspace / "content" / "lee" / "C-1001.yaml"
    shutil.copy(source, workspace / "content" / "copy.yaml")  # same id, cached bytes
    result = CliRunner().invoke(cli, ["check", str(workspace)])
    assert result.exit_code == 2
    assert "duplicate id 'C-1001'" in result.stderr


def test_damaged_entries_are_ignored(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = check_json(workspace, monkeypatch, cached=True)
    store_entries(workspace, {key: [["garbage"]] for key in stored_entries(workspace)})
    assert check_json(workspace, monkeypatch, cached=True) == expected


def test_cache_is_private(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    check_json(workspace, monkeypatch, cached=True)
    folder = cache_folder(workspace)
    assert oct(folder.stat().st_mode & 0o777) == "0o700"
    assert {oct(p.stat().st_mode & 0o777) for p in folder.iterdir()} == {"0o600"}


def test_unwritable_cache_still_checks(workspace: Path, monkeypatch: pytest.MonkeyPatch
                                       ) -> None:
    folder = cache_folder(workspace)
    folder.parent.mkdir(parents=True)
    folder.write_text("not a folder", encoding="utf-8")  # mkdir must fail
    expected = check_json(workspace, monkeypatch, cached=False)
    assert check_json(workspace, monkeypatch, cached=True) == expected


def test_a_cache_file_that_cannot_be_finished_leaves_nothing_behind(
        workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A full disk halfway through the write: the check still answers, and no
    half-written file of health information stays in the cache folder."""
    import io

    expected = check_json(workspace, monkeypatch, cached=False)
    real_write = io.TextIOWrapper.write
    written: list[str] = []

    class FullDisk(io.TextIOWrapper):
        def write(self, text: str) -> int:
            written.append(text)
            if len(written) > 2:
                raise OSError(28, "No space left on device")
            return real_write(self, text)

    real_fdopen = os.fdopen
    monkeypatch.setattr(os, "fdopen", lambda fd, *a, **k: FullDisk(
        real_fdopen(fd, "wb"), encoding="utf-8"))
    assert check_json(workspace, monkeypatch, cached=True) == expected
    assert len(written) > 2  # the write did fail halfway
    assert not [p.name for p in cache_folder(workspace).glob(".tmp-*")]
    assert not stored_file(workspace).exists()


def test_parsing_on_several_cores_gives_the_same_caseload_and_errors(
        workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from generator.reading import exact as load

    (workspace / "content" / "bad.yaml").write_text("id: C-9\nname: [\n", encoding="utf-8")
    (workspace / "content" / "dup.yaml").write_text(
        (workspace / "content" / "lee" / "C-1001.yaml").read_text(encoding="utf-8"),
        encoding="utf-8")
    outcomes = []
    for minimum in (10_000, 2):
        monkeypatch.setattr(load, "PARALLEL_FROM_FILES", minimum)
        with pytest.raises(load.WorkspaceInvalid) as caught:
            load_workspace(workspace)
        outcomes.append([str(e) for e in caught.value.errors])
    assert outcomes[0] == outcomes[1]
    assert len(outcomes[0]) == 2
    (workspace / "content" / "bad.yaml").unlink()
    (workspace / "content" / "dup.yaml").unlink()
    serial = load_workspace(workspace)
    monkeypatch.setattr(load, "PARALLEL_FROM_FILES", 2)
    assert load_workspace(workspace) == serial
    assert load_workspace(workspace, ParseCache(workspace)) == serial


def test_a_warm_read_on_several_cores_takes_each_file_from_its_own_entry(
        workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Warm, the files' keys are worked out in workers, slice by slice: each file must
    still get its own entry (order kept), an edited file in the middle its new
    contents, and a link inside the workspace the file it names."""
    from generator.reading import exact as load

    monkeypatch.setattr(load, "PARALLEL_FROM_FILES", 2)
    load_workspace(workspace, ParseCache(workspace))  # fills the cache
    edited = workspace / "content" / "lee" / "C-1001.yaml"
    edited.write_text(edited.read_text(encoding="utf-8").replace("name: ", "name: Re", 1),
                      encoding="utf-8")
    moved = workspace / "content" / "lee" / "C-1007.yaml"
    target = workspace / "C-1007.yaml"
    moved.rename(target)
    moved.symlink_to(target)
    serial = load_workspace(workspace)
    hits: list[bool] = []
    original_get = ParseCache.get

    def counting_get(self: ParseCache, key: str) -> list | None:
        found = original_get(self, key)
        hits.append(found is not None)
        return found

    monkeypatch.setattr(ParseCache, "get", counting_get)
    assert load_workspace(workspace, ParseCache(workspace)) == serial
    assert hits.count(False) == 1 and len(hits) == len(load.content_files(workspace, []))
    assert any(c.name.startswith("Re") for c in serial.clients if c.id == "C-1001")


def test_a_torn_cache_file_is_ignored(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = check_json(workspace, monkeypatch, cached=True)
    stored = stored_file(workspace)
    whole = len(stored_entries(workspace))
    stored.write_bytes(stored.read_bytes()[: 1000])
    assert check_json(workspace, monkeypatch, cached=True) == expected
    assert len(stored_entries(workspace)) == whole  # written whole again


def test_entries_of_old_file_versions_fall_out(workspace: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    check_json(workspace, monkeypatch, cached=True)
    before = len(stored_entries(workspace))
    path = workspace / "content" / "lee" / "C-1001.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    check_json(workspace, monkeypatch, cached=True)
    assert len(stored_entries(workspace)) == before


def test_check_writes_nothing_into_the_workspace(workspace: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    before = sorted(p.relative_to(workspace) for p in workspace.rglob("*"))
    check_json(workspace, monkeypatch, cached=True)
    check_json(workspace, monkeypatch, cached=True)
    assert sorted(p.relative_to(workspace) for p in workspace.rglob("*")) == before


def test_invalid_input_leaves_no_cache(workspace: Path) -> None:
    (workspace / "content" / "bad.yaml").write_text("id: C-9\nname: X\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", str(workspace)])
    assert result.exit_code == 2
    assert not cache_folder(workspace).exists()


EVERY_KIND_OF_CLIENT = """\
clients:
  - id: C-1
    name: Every Status
    intake_date: 2025-01-06
    payer: summit-health
    clinician: lee
    member_id: 0012345
    sessions:
      - {date: 2025-01-06, status: attended, note: First session, note_signed: 2025-01-07}
      - {date: 2025-01-13, status: no_show, note_signed: false}
      - {date: 2025-01-20, status: late_cancel, note: '', note_signed: true}
      - {date: 2025-01-27, status: cancelled}
      - {date: 2025-01-28, status: clinician_cancelled}
      - {date: 2026-12-01, status: scheduled}
    treatment_plans:
      - {date: 2025-01-20, goals: One goal as text, provider_signed_on: 2025-01-20,
         client_signed_on: 2025-01-21}
      - {date: 2025-02-20, provider_signed_on: 2025-02-21, client_signature_waived: verbal}
      - {date: 2025-04-20, goals: [First, Second], note: Reviewed}
      - {date: 2025-07-20}
    contacts:
      - {date: 2025-02-01, method: phone}
      - {date: 2025-02-02, method: email, outcome: No reply}
      - {date: 2025-02-03, method: text, note: Sent reminder}
      - {date: 2025-02-04, method: letter}
      - {date: 2025-02-05, method: portal}
      - {date: 2025-02-06, method: in_person}
      - {date: 2025-02-07, method: other, outcome: Reached, note: Agreed to return}
    discharge: {date: 2025-03-01, reason: nonattendance, client_participated: false}
    x_referral_source: {from: GP, on: [2025-01-01]}
  - id: C-2
    name: Nothing Yet
    intake_date: 2026-11-20
    discharge: {planned_on: 2026-12-20, summary: '  '}
"""


def test_every_kind_of_value_comes_back_the_same(workspace: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    (workspace / "content" / "every.yaml").write_text(EVERY_KIND_OF_CLIENT, encoding="utf-8")
    fresh = load_workspace(workspace)
    assert load_workspace(workspace, ParseCache(workspace)) == fresh  # cold: fills the cache
    warm = ParseCache(workspace)
    assert load_workspace(workspace, warm) == fresh  # warm: rebuilt from it
    assert all(warm.get(key) is not None for key in warm._entries())  # every entry served
    rebuilt = {c.id: c for c in load_workspace(workspace, ParseCache(workspace)).clients}
    assert {s.status for s in rebuilt["C-1"].sessions} == set(SESSION_STATUSES)
    assert {k.method for k in rebuilt["C-1"].contacts} == set(CONTACT_METHODS)
    assert rebuilt["C-1"].member_id == "0012345"
    assert [s.note_signed for s in rebuilt["C-1"].sessions][:3] == [
        datetime.date(2025, 1, 7), False, True]


def test_model_classes_have_no_post_init() -> None:
    # The cache rebuilds those of every list of records field by field, as their
    # __init__ would, without calling it.
    listed = [f.kind.record.model for f in CLIENT.fields if f.kind.record is not None
              and f.kind.name == "records"]
    assert {Session, TreatmentPlan, Contact} <= set(listed)
    for cls in listed:
        assert not hasattr(cls, "__post_init__"), cls


@pytest.mark.parametrize("damage", ["short column", "unknown status", "wrong shape",
                                    "signed day not a number"])
def test_entries_with_damaged_columns_are_ignored(workspace: Path, damage: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    expected = check_json(workspace, monkeypatch, cached=True)
    entries = stored_entries(workspace)
    sessions_slot = len(plain_entry("", "", 0, {}, [])) + CLIENT.keys.index("sessions")
    date, status = SESSION.keys.index("date"), SESSION.keys.index("status")
    signed = SESSION.keys.index("note_signed")
    for records in entries.values():
        for record in records:
            sessions = record[sessions_slot]  # a column per field of a session
            if damage == "short column":
                sessions[status] = sessions[status][:-1]  # one letter each
            elif damage == "unknown status":
                sessions[status] = "z" * len(sessions[status])
            elif damage == "signed day not a number":
                sessions[signed] = [True] * len(sessions[signed])
            else:
                sessions[date] = {"not": "a list"}
    store_entries(workspace, entries)
    assert check_json(workspace, monkeypatch, cached=True) == expected
    assert ParseCache(workspace).get(next(iter(entries))) is not None  # repaired


def test_the_previous_formats_file_is_removed(workspace: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    old = cache_folder(workspace) / "parse.json"
    old.parent.mkdir(parents=True)
    old.write_text("{}", encoding="utf-8")
    check_json(workspace, monkeypatch, cached=True)
    assert not old.exists() and stored_file(workspace).is_file()


def test_a_file_of_the_previous_layout_is_replaced_whole(workspace: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    # Its entries hold the same health information in a layout no version reads now.
    stored = stored_file(workspace)
    stored.parent.mkdir(parents=True)
    old_entry = '["where",0,0,0,0,"C-1001","Maya Castellanos",738000]'
    stored.write_text(f"caseload-parse-cache-3\n{'0' * 64} [{old_entry}]\n", encoding="utf-8")
    expected = check_json(workspace, monkeypatch, cached=False)
    assert check_json(workspace, monkeypatch, cached=True) == expected
    header, *lines = stored.read_text(encoding="utf-8").splitlines()
    assert header == _FORMAT.decode() != "caseload-parse-cache-3"
    assert lines and not any("Maya Castellanos\",738000" in line for line in lines)


# --- where the cache is, and how long it keeps a workspace ---------------------------


def test_a_relative_xdg_cache_home_is_ignored(workspace: Path, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The XDG specification: a relative path is invalid and must be ignored; used, it
    would put health information wherever the command happens to run."""
    from generator.reading.cache import cache_root

    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CACHE_HOME", "relative-cache")
    monkeypatch.chdir(tmp_path)
    assert cache_root() == home / ".cache" / "caseload"
    check_json(workspace, monkeypatch, cached=True)
    assert not (tmp_path / "relative-cache").exists()
    assert (cache_folder(workspace) / FILE_NAME).is_file()
    assert cache_folder(workspace).parent == home / ".cache" / "caseload"


def test_each_folder_names_its_workspace_and_its_last_use(workspace: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from generator.reading.cache import RECORD

    check_json(workspace, monkeypatch, cached=True)
    record = cache_folder(workspace) / RECORD
    assert record.read_text(encoding="utf-8") == f"{workspace.resolve()}\n"
    assert oct(record.stat().st_mode & 0o777) == "0o600"
    long_ago = record.stat().st_mtime - 20 * 86400
    os.utime(record, (long_ago, long_ago))
    check_json(workspace, monkeypatch, cached=True)  # a warm run: nothing else written
    assert record.stat().st_mtime > long_ago + 19 * 86400


def aged(folder: Path, workspace: str | None, days: float) -> Path:
    """A cache folder of another workspace, last used `days` ago."""
    from generator.reading.cache import RECORD

    folder.mkdir(parents=True)
    (folder / FILE_NAME).write_text("caseload-parse-cache-x\n", encoding="utf-8")
    if workspace is not None:
        (folder / RECORD).write_text(f"{workspace}\n", encoding="utf-8")
    then = time.time() - days * 86400
    for path in (*folder.iterdir(), folder):
        os.utime(path, (then, then))
    return folder


def test_workspaces_unused_for_30_days_are_deleted(workspace: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    root = cache_folder(workspace).parent
    stale = aged(root / ("a" * 24), "/gone/practice", 31)
    unrecorded = aged(root / ("b" * 24), None, 40)  # made by an older caseload
    recent = aged(root / ("c" * 24), "/other/practice", 29)
    not_ours = aged(root / "notes", "/x", 400)
    check_json(workspace, monkeypatch, cached=False)  # no cache: nothing opened, nothing swept
    assert stale.is_dir()
    check_json(workspace, monkeypatch, cached=True)
    assert not stale.exists() and not unrecorded.exists()
    assert recent.is_dir() and not_ours.is_dir() and cache_folder(workspace).is_dir()


def cache_cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["cache", *args])
    return result.exit_code, result.stdout


def test_cache_command_shows_where_and_how_much(workspace: Path, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from generator.reading.cache import cache_root

    code, out = cache_cli()
    assert code == 0
    assert out.splitlines() == [
        f"Parse cache: {cache_root()} (a workspace's part is deleted after 30 days without use)",
        "0 bytes for 0 workspaces."]
    other = copy_demo(tmp_path / "other")
    shutil.rmtree(other / "content" / "okafor")
    for each in (workspace, other):
        check_json(each, monkeypatch, cached=True)
    code, out = cache_cli()
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("Parse cache: ")
    assert str(workspace.resolve()) in lines[1]  # the larger first
    assert str(other.resolve()) in lines[2]
    assert "KiB" in lines[1] and "(last used " in lines[1]
    assert lines[3].endswith("for 2 workspaces.")


def test_cache_clear_deletes_one_workspace_or_all(workspace: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    other = copy_demo(tmp_path / "other")
    for each in (workspace, other):
        check_json(each, monkeypatch, cached=True)
    code, out = cache_cli("clear", str(workspace))
    assert code == 0 and out.startswith(f"Deleted the cache of {workspace} (")
    assert not cache_folder(workspace).exists() and cache_folder(other).is_dir()
    assert cache_cli("clear", str(workspace)) == (0, f"Nothing cached for {workspace}.\n")
    code, out = cache_cli("clear")
    assert code == 0 and out.startswith("Deleted the cache of 1 workspace (")
    assert not cache_folder(other).parent.exists()
    assert cache_cli("clear")[0] == 0
    assert check_json(workspace, monkeypatch, cached=True)  # and it fills again
