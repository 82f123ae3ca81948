"""The data contract: captures round-trip, and every kind of damage is refused with one clear line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile

import numpy as np
import pytest

from pipeline import contract
from pipeline.contract import (
    SCHEMA_VERSION,
    CaptureError,
    Fact,
    capture_path,
    load_cached,
    pointer_path,
    read_capture,
    set_current,
    spec_hash,
    write_capture,
)
from pipeline.files import sha256_of

SPEC = {"experiment": "demo", "seed": 3, "steps": [0, 10, 20], "scheduler": {"class": "DDPMScheduler"}}
MEANINGS = {"picture": "a small picture", "levels": "one number per step"}
FACTS = {"lost_step": Fact(20, "step", "first step where the picture is lost"),
         "caption": Fact("a purple butterfly", "", "what the picture shows")}


def _arrays():
    return {"picture": np.arange(2 * 4 * 4 * 3, dtype=np.float32).reshape(2, 4, 4, 3) / 7,
            "levels": np.array([1.0, 0.5, 0.25])}


def _write(root, spec=SPEC):
    return write_capture(root, "demo", spec, _arrays(), MEANINGS, FACTS, versions={"diffusers": "0.0-test"})


def _refused(path, match, **kwargs) -> str:
    with pytest.raises(CaptureError) as caught:
        read_capture(path, **kwargs)
    message = str(caught.value)
    assert "\n" not in message, message
    assert match in message, message
    return message


def _rewrite_manifest(path, change, seal=True):
    """Edit a capture's manifest; sealed (its own checksum made to match), so that the deeper checks are reached."""
    manifest = json.loads((path / "manifest.json").read_text())
    change(manifest)
    if seal:
        manifest["checksum"]["manifest_sha256"] = contract._manifest_sha256(manifest)
    (path / "manifest.json").write_text(json.dumps(manifest))


def _fix_checksum(path):
    _rewrite_manifest(path, lambda m: m["checksum"].update(sha256=sha256_of(path / "arrays.npz")))


# ----------------------------------------------------------------------------- naming


def test_spec_hash_ignores_key_order_and_sees_every_value():
    reordered = {"steps": [0, 10, 20], "scheduler": {"class": "DDPMScheduler"}, "seed": 3, "experiment": "demo"}
    assert spec_hash(SPEC) == spec_hash(reordered)
    assert len(spec_hash(SPEC)) == 12 and int(spec_hash(SPEC), 16) >= 0
    assert spec_hash(SPEC) != spec_hash(dict(SPEC, seed=4))
    assert spec_hash({"seed": np.int64(3)}) == spec_hash({"seed": 3})


def test_capture_lives_in_a_folder_named_by_its_spec_hash(tmp_path):
    path = _write(tmp_path)
    assert path == capture_path(tmp_path, "demo", SPEC) == tmp_path / f"demo-{spec_hash(SPEC)}"
    assert sorted(p.name for p in path.iterdir()) == ["arrays.npz", "manifest.json"]


# ----------------------------------------------------------------------------- round trip


def test_round_trip_gives_back_arrays_facts_meanings_and_spec(tmp_path):
    path = _write(tmp_path)
    capture = read_capture(path, expected_arrays=["picture", "levels"])
    for key, array in _arrays().items():
        assert capture.arrays[key].dtype == array.dtype
        np.testing.assert_array_equal(capture.arrays[key], array)
    assert capture.facts == FACTS
    assert capture.meanings == MEANINGS
    assert capture.spec == SPEC
    assert capture.name == "demo" and capture.spec_hash == spec_hash(SPEC)
    manifest = capture.manifest
    assert manifest["schema_version"] == SCHEMA_VERSION
    assert manifest["versions"]["diffusers"] == "0.0-test" and "numpy" in manifest["versions"]
    assert manifest["arrays"]["picture"] == {"shape": [2, 4, 4, 3], "dtype": "<f4", "meaning": "a small picture"}
    assert manifest["created"]
    with pytest.raises(ValueError):
        capture.arrays["levels"][0] = 7.0  # a record is read-only


def test_read_by_name_follows_the_current_pointer(tmp_path):
    first = _write(tmp_path)
    assert pointer_path(tmp_path, "demo").read_text().strip() == first.name
    second = _write(tmp_path, dict(SPEC, seed=4))
    assert read_capture(tmp_path, "demo").path == second
    assert first.exists()  # older captures stay, so switching back is a cache hit


def test_same_arrays_give_the_same_file_bytes(tmp_path):
    a = _write(tmp_path / "a")
    b = _write(tmp_path / "b")
    assert (a / "arrays.npz").read_bytes() == (b / "arrays.npz").read_bytes()


def test_pointer_keeps_its_time_when_nothing_changes(tmp_path):
    path = _write(tmp_path)
    pointer = pointer_path(tmp_path, "demo")
    os.utime(pointer, ns=(1_000_000_000, 1_000_000_000))
    set_current(tmp_path, "demo", path)
    assert pointer.stat().st_mtime_ns == 1_000_000_000
    _write(tmp_path)  # recomputed in place: what Make sees must change
    assert pointer.stat().st_mtime_ns != 1_000_000_000


def test_every_array_needs_a_meaning(tmp_path):
    with pytest.raises(ValueError, match="levels"):
        write_capture(tmp_path, "demo", SPEC, _arrays(), {"picture": "x"}, FACTS)
    assert list(tmp_path.iterdir()) == []


# ----------------------------------------------------------------------------- atomic writing


class _InterruptedArray:
    def __array__(self, dtype=None, copy=None):
        raise KeyboardInterrupt


def test_interrupted_write_leaves_nothing(tmp_path):
    with pytest.raises(KeyboardInterrupt):
        write_capture(tmp_path, "demo", SPEC, {"picture": _InterruptedArray()}, {"picture": "x"}, FACTS)
    assert list(tmp_path.iterdir()) == []


def test_failed_rewrite_keeps_the_old_capture(tmp_path, monkeypatch):
    path = _write(tmp_path)

    def broken_rename(src, dst):
        raise OSError(28, "No space left on device")

    real_rename = os.rename
    monkeypatch.setattr(contract.os, "rename",
                        lambda src, dst: broken_rename(src, dst) if not str(dst).endswith(".old")
                        and not str(src).endswith(".old") else real_rename(src, dst))
    with pytest.raises(CaptureError, match=r"\(No space left on device\); nothing was kept"):
        _write(tmp_path)
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([path.name, "demo.current"])
    read_capture(path, expected_arrays=["picture"])


# ----------------------------------------------------------------------------- refusals


@pytest.mark.parametrize("text, match", [
    ("[" * 20000 + "]" * 20000, "nests arrays or objects deeper than"),  # json.loads would raise RecursionError
    ('{"a": ' * 40 + "1" + "}" * 40, "nests arrays or objects deeper than"),
    ('{"name": "' + "x" * (9 << 20) + '"}', "larger than"),
    ('{"brackets in a string": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\"[[[["}', "has no schema_version"),
])
def test_a_manifest_too_large_or_too_deep_is_one_line_before_it_is_parsed(tmp_path, text, match):
    path = _write(tmp_path)
    (path / "manifest.json").write_text(text)
    _refused(path, match)


def test_a_manifest_that_is_a_pipe_is_refused_without_waiting(tmp_path):
    path = _write(tmp_path)
    (path / "manifest.json").unlink()
    os.mkfifo(path / "manifest.json")
    _refused(path, "not a regular file")  # a read would wait for a writer forever


def test_a_damaged_manifest_is_rebuilt_like_any_damaged_capture(tmp_path, capsys):
    path = _write(tmp_path)
    (path / "manifest.json").write_text("[" * 5000)
    assert load_cached(tmp_path, "demo", SPEC) is None and not path.exists()  # removed, so the caller recomputes
    assert "nests arrays or objects deeper than" in capsys.readouterr().err


def _add_entry(path, name, chunks, chunk=1 << 20):
    """Append an entry of ``chunks`` MiB of zeros to the capture's arrays.npz and seal the checksums again."""
    with zipfile.ZipFile(path / "arrays.npz", "a", compression=zipfile.ZIP_DEFLATED) as zf:
        with zf.open(name, "w", force_zip64=True) as f:
            zeros = bytes(chunk)
            for _ in range(chunks):
                f.write(zeros)
    _fix_checksum(path)


def test_an_entry_the_manifest_does_not_name_is_refused_unread(tmp_path):
    path = _write(tmp_path)
    _add_entry(path, "extra.npy", 1)
    _refused(path, "holds 'extra.npy', which manifest.json does not name")


def test_an_entry_larger_than_its_recorded_shape_is_refused_unread(tmp_path):
    path = _write(tmp_path)
    with zipfile.ZipFile(path / "arrays.npz", "w") as zf:  # "levels" recorded as 3 float64, stored as a million
        for key, array in dict(_arrays(), levels=np.zeros(1_000_000)).items():
            with zf.open(f"{key}.npy", "w") as f:
                np.lib.format.write_array(f, array)
    _fix_checksum(path)
    _refused(path, "array 'levels' unpacks to 8,000,128 bytes, more than its recorded shape [3]")


def test_half_a_gigabyte_of_zeros_in_the_archive_costs_no_memory(tmp_path):
    """The probe's case: an extra entry of zeros that packs half a gigabyte into half a megabyte, checksums redone.
    Read in a process held to 300 MB of address space beyond what it has at the start, so that unpacking it fails."""
    path = _write(tmp_path)
    _add_entry(path, "zeros.npy", 512)
    assert (path / "arrays.npz").stat().st_size < 4 << 20
    script = (
        "import resource, sys\n"
        "from pipeline.contract import CaptureError, read_capture\n"
        "import numpy\n"
        "used = int(open('/proc/self/statm').read().split()[0]) * resource.getpagesize()\n"
        "resource.setrlimit(resource.RLIMIT_AS, (used + (300 << 20), used + (300 << 20)))\n"
        f"try:\n    read_capture({str(path)!r})\nexcept CaptureError as e:\n    print(e)\n    sys.exit(3)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 3, result.stderr[-2000:]
    assert "holds 'zeros.npy', which manifest.json does not name" in result.stdout


def test_corrupt_npz_is_refused(tmp_path):
    path = _write(tmp_path)
    (path / "arrays.npz").write_bytes(b"not a zip file at all")
    _refused(path, "checksum does not match")
    _fix_checksum(path)  # damaged when written: the checksum agrees but the file is no npz
    message = _refused(path, "cannot be read as .npz")
    assert "arrays.npz" in message and "python -m pipeline capture demo --force" in message


def test_wrong_checksum_is_refused(tmp_path):
    path = _write(tmp_path)
    _rewrite_manifest(path, lambda m: m["checksum"].update(sha256="0" * 64))
    message = _refused(path, "checksum does not match")
    assert str(path / "arrays.npz") in message and "python -m pipeline capture demo --force" in message


def test_newer_schema_version_is_refused(tmp_path):
    path = _write(tmp_path)
    _rewrite_manifest(path, lambda m: m.update(schema_version=SCHEMA_VERSION + 1))
    message = _refused(path, "made by a newer latent-walk")
    assert "update" in message and "manifest.json" in message


def test_older_schema_version_is_refused(tmp_path):
    path = _write(tmp_path)
    _rewrite_manifest(path, lambda m: m.update(schema_version=SCHEMA_VERSION - 1))
    _refused(path, "made by an older latent-walk")


def test_missing_expected_array_is_refused(tmp_path):
    path = _write(tmp_path)
    _refused(path, "has no array 'noise'", expected_arrays=["picture", "noise"])


def test_array_missing_from_the_npz_is_refused(tmp_path):
    path = _write(tmp_path)
    with zipfile.ZipFile(path / "arrays.npz", "w") as zf:  # the npz without "levels"
        with zf.open("picture.npy", "w") as f:
            np.lib.format.write_array(f, _arrays()["picture"])
    _fix_checksum(path)
    _refused(path, "array 'levels' listed in manifest.json is missing")


@pytest.mark.parametrize("edit", [
    lambda m: m["facts"]["lost_step"].update(value=1),
    lambda m: m["spec"].update(seed=99),
    lambda m: m["arrays"]["picture"].update(meaning="something else"),
    lambda m: m.update(name="other"),
])
def test_an_edited_fact_spec_or_meaning_is_refused_not_read_as_good(tmp_path, edit):
    path = _write(tmp_path)
    _rewrite_manifest(path, edit, seal=False)
    _refused(path, "do not match its checksum (damaged or edited)")


def test_a_capture_of_a_newer_schema_is_kept_and_not_recomputed(tmp_path):
    path = _write(tmp_path)
    _rewrite_manifest(path, lambda m: m.update(schema_version=contract.SCHEMA_VERSION + 1))
    manifest = json.loads((path / "manifest.json").read_text())
    with pytest.raises(contract.NewerCaptureError, match="update latent-walk"):
        contract.load_cached(tmp_path, "demo", manifest["spec"])
    assert path.is_dir(), "a newer program's capture is not ours to delete"


def test_a_run_that_produced_nan_is_refused_and_nothing_is_written(tmp_path):
    with pytest.raises(CaptureError, match="not finite"):
        write_capture(tmp_path, "demo", {"seed": 1}, {"picture": np.array([0.5, np.nan])}, {"picture": "p"}, {})
    assert list(tmp_path.iterdir()) == []


def test_a_killed_writers_leftovers_are_removed_by_the_next_write_and_a_live_ones_kept(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()
    leftovers = [tmp_path / f".tmp-{dead}-demo-0123456789ab.x1y2", tmp_path / f".tmp-{dead}-demo.current.z9"]
    leftovers[0].mkdir()
    (leftovers[0] / "arrays.npz").write_bytes(b"half")
    leftovers[1].write_text("half")
    live = tmp_path / f".tmp-{os.getppid()}-demo-0123456789ab.busy"
    live.mkdir()
    theirs = [tmp_path / ".tmp-notes-of-mine.txt", tmp_path / f".tmp-{dead}-demo-notes.txt",
              tmp_path / f".tmp-{dead}-demo-0123.old"]  # named like leftovers, but not after a capture folder
    for path in theirs:
        path.write_text("a file latent-walk did not make")
    _write(tmp_path)
    assert not any(path.exists() for path in leftovers)
    assert live.is_dir() and all(path.is_file() for path in theirs)


def test_a_current_pointer_that_is_a_folder_is_one_line(tmp_path):
    (tmp_path / "demo.current").mkdir()
    with pytest.raises(CaptureError, match="is a folder"):
        _write(tmp_path)


def test_array_of_the_wrong_shape_is_refused(tmp_path):
    path = _write(tmp_path)
    _rewrite_manifest(path, lambda m: m["arrays"]["levels"].update(shape=[4]))
    _refused(path, "array 'levels' is [3] <f8, but manifest.json records [4]")


def test_missing_or_broken_manifest_is_refused(tmp_path):
    path = _write(tmp_path)
    (path / "manifest.json").write_text("{not json")
    _refused(path, "not valid JSON")
    (path / "manifest.json").unlink()
    _refused(path, "missing, so this is no capture")


def test_missing_capture_by_name_says_what_to_run(tmp_path):
    with pytest.raises(CaptureError, match=r"no forward capture yet; run: python -m pipeline capture forward$"):
        read_capture(tmp_path, "forward")
    pointer_path(tmp_path, "forward").write_text("forward-123456789abc\n")
    with pytest.raises(CaptureError, match="which is missing"):
        read_capture(tmp_path, "forward")


# ----------------------------------------------------------------------------- the cache


def test_load_cached_misses_hits_and_drops_damage(tmp_path, capsys):
    assert load_cached(tmp_path, "demo", SPEC, ["picture"]) is None
    path = _write(tmp_path)
    _write(tmp_path, dict(SPEC, seed=4))  # another spec becomes current...
    hit = load_cached(tmp_path, "demo", SPEC, ["picture"])
    assert hit is not None and hit.path == path
    assert read_capture(tmp_path, "demo").path == path  # ...until this one is asked for again

    (path / "arrays.npz").write_bytes(b"damaged")
    assert load_cached(tmp_path, "demo", SPEC, ["picture"]) is None
    err = capsys.readouterr().err
    assert err.startswith(f"damaged capture {path}") and err.rstrip().endswith("recomputing")
    assert not path.exists()


def test_load_cached_refuses_a_folder_whose_spec_is_not_its_name(tmp_path, capsys):
    path = _write(tmp_path)
    _rewrite_manifest(path, lambda m: m.update(spec=dict(SPEC, seed=99)))
    assert load_cached(tmp_path, "demo", SPEC) is None
    assert "damaged capture" in capsys.readouterr().err


def _dead_pid() -> int:
    """A process id no process has now: a child that has exited and been reaped."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_kill_between_forces_two_renames_loses_no_capture(tmp_path):
    """--force moves the old capture aside, then renames the new one into place; killed between the two, the old one
    is whole under a temporary name and the pointer names a folder that is gone. The next run puts it back (a cached
    run reads it; a writing run replaces it), and sweeps the new one's unfinished folder, never the only whole copy."""
    from pipeline.files import TMP_PREFIX

    path = _write(tmp_path)
    pid = _dead_pid()
    aside = tmp_path / f"{TMP_PREFIX}{pid}-{path.name}.k3j9.old"
    os.rename(path, aside)
    unfinished = tmp_path / f"{TMP_PREFIX}{pid}-{path.name}.k3j9"
    unfinished.mkdir()
    (unfinished / "arrays.npz").write_bytes(b"half")
    with pytest.raises(CaptureError, match="which is missing"):
        read_capture(tmp_path, name="demo")  # what a reader sees right after the kill
    capture = load_cached(tmp_path, "demo", SPEC, ["picture", "levels"])
    assert capture is not None and capture.path == path  # put back, read back: nothing recomputed
    assert not aside.exists() and not unfinished.exists()
    assert read_capture(tmp_path, name="demo").spec == SPEC


def test_a_replaced_capture_of_a_live_writer_is_left_alone(tmp_path):
    from pipeline.files import TMP_PREFIX

    path = _write(tmp_path)
    aside = tmp_path / f"{TMP_PREFIX}{os.getppid()}-{path.name}.live.old"  # our parent: alive
    os.rename(path, aside)
    assert contract.recover_replaced(tmp_path, "demo") == [] and aside.exists() and not path.exists()


def test_a_cached_run_sweeps_what_killed_writers_left(tmp_path):
    from pipeline.files import TMP_PREFIX

    path = _write(tmp_path)
    leftover = tmp_path / f"{TMP_PREFIX}{_dead_pid()}-demo.current.x1"
    leftover.write_text("half a pointer")
    assert load_cached(tmp_path, "demo", SPEC) is not None
    assert not leftover.exists() and path.exists()
