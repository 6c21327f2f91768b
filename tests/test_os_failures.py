"""Every command, driven through the operating system's failures: a message, the documented
exit status, and the previous outputs as they were.

The failures are injected by patching the file functions the tool calls (``os.replace``,
``os.fsync``, ``tempfile.mkstemp``, ``Path.mkdir``, reading a fact file) to raise
``OSError`` with each errno a disk or a folder can give.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.cli import main

BASE = Path(__file__).parent / "fixtures" / "base"
QUERIES = Path(__file__).parent.parent / "queries"

# Each command as a user runs it, writing under out/ (a store under out/store).
COMMANDS = {
    "build": ["build", "--facts", "facts", "--out", "out", "--no-cache"],
    "build --store": ["build", "--facts", "facts", "--out", "out", "--store", "oxigraph:out/store"],
    "validate": ["validate", "--facts", "facts"],
    "export": ["export", "--facts", "facts", "-o", "out/gpu-kg.rdf"],
    "queries --run-all": ["queries", "--facts", "facts", "--catalog", "catalog", "--run-all", "--out", "out/queries"],
    "query": ["query", "--facts", "facts", "listing-race", "-o", "out/race.csv"],
    "query --store": ["query", "listing-race", "--store", "oxigraph:out/store", "-o", "out/race.json"],
    "view": ["view", "--facts", "facts", "all", "-o", "out/views/all.graphml"],
    "views": ["views", "--facts", "facts", "--out", "out/views"],
    "synth": ["synth", "--companies", "2", "-o", "out/synth"],
}
WRITES = set(COMMANDS) - {"validate"}

ERRNOS = [errno.EACCES, errno.ENOSPC, errno.EROFS, errno.EIO, errno.ENOTDIR, errno.EDQUOT]
REASONS = {
    errno.EACCES: "permission denied", errno.ENOSPC: "no space left on the device",
    errno.EROFS: "the file system is read-only", errno.EIO: "an input/output error",
    errno.ENOTDIR: "a part of the path is a file, not a folder", errno.EDQUOT: "the disk quota is used up",
}


@pytest.fixture(scope="module")
def previous(tmp_path_factory) -> Path:
    """A folder where every command ran once and succeeded: the outputs a failure must keep."""
    folder = tmp_path_factory.mktemp("previous")
    shutil.copytree(BASE, folder / "facts")
    (folder / "catalog").mkdir()
    for name in ("listing-race", "company-profile"):
        shutil.copy(QUERIES / f"{name}.rq", folder / "catalog")
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        for name, args in COMMANDS.items():
            if name == "synth":
                continue  # it refuses a folder that is not empty: it runs against a new one below
            result = CliRunner().invoke(main, args)
            assert result.exit_code == 0, (name, result.output)
    finally:
        os.chdir(cwd)
    return folder


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every output file's bytes (the build cache aside: a failed save empties it, by design)."""
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and ".kg-cache" not in path.parts and "store" not in path.parts
    }


def failing(number: int):
    def fail(*args, **kwargs):
        raise OSError(number, os.strerror(number), str(args[0]) if args and isinstance(args[0], (str, Path)) else None)

    return fail


def run_failing(folder: Path, monkeypatch, name: str, target: str, number: int):
    monkeypatch.chdir(folder)
    if target == "read fact file":
        real = Path.read_bytes

        def read_bytes(self):
            if "facts" in self.parts and self.suffix == ".yaml":
                raise OSError(number, os.strerror(number), str(self))
            return real(self)

        monkeypatch.setattr(Path, "read_bytes", read_bytes)
    elif target == "Path.mkdir":
        monkeypatch.setattr(Path, "mkdir", failing(number))
    else:
        module, attribute = {"os.replace": (os, "replace"), "os.fsync": (os, "fsync"),
                             "tempfile.mkstemp": (tempfile, "mkstemp")}[target]
        monkeypatch.setattr(module, attribute, failing(number))
    return CliRunner().invoke(main, COMMANDS[name])


def check_clean_failure(result, name: str, expected_exit: int, reason: str) -> None:
    assert "Traceback" not in result.output, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == expected_exit, (name, result.output)
    assert reason in result.stderr, result.stderr


# Every errno through the rename that publishes an output; the likely ones through the rest.
FAILURES = [("os.replace", number) for number in ERRNOS] + [
    ("os.fsync", errno.ENOSPC), ("os.fsync", errno.EIO), ("tempfile.mkstemp", errno.EACCES),
    ("tempfile.mkstemp", errno.EROFS), ("Path.mkdir", errno.EACCES), ("Path.mkdir", errno.ENOTDIR),
]


@pytest.mark.parametrize(("target", "number"), FAILURES,
                         ids=[f"{target}-{errno.errorcode[number]}" for target, number in FAILURES])
@pytest.mark.parametrize("name", sorted(WRITES))
def test_a_write_that_fails_is_a_message_and_leaves_the_previous_outputs(previous, tmp_path, monkeypatch,
                                                                         name, target, number):
    folder = tmp_path / "work"
    shutil.copytree(previous, folder, symlinks=True)
    before = snapshot(folder)
    result = run_failing(folder, monkeypatch, name, target, number)
    monkeypatch.undo()
    if name == "synth" and target in ("os.fsync", "tempfile.mkstemp"):
        assert result.exit_code == 0, "synth writes its folder without either"
        return
    check_clean_failure(result, name, 2, REASONS[number])
    assert "Error: cannot " in result.stderr, result.stderr
    assert snapshot(folder) == before, "the previous outputs are intact"
    if name == "build --store":  # the store still answers with the graph it had
        monkeypatch.chdir(folder)
        again = CliRunner().invoke(main, ["query", "listing-race", "--store", "oxigraph:out/store"])
        assert again.exit_code == 0, again.output


@pytest.mark.parametrize("number", ERRNOS, ids=errno.errorcode.get)
@pytest.mark.parametrize("name", ["build", "validate", "export", "view"])
def test_a_fact_file_that_cannot_be_read_is_named(previous, tmp_path, monkeypatch, name, number):
    folder = tmp_path / "work"
    shutil.copytree(previous, folder, symlinks=True)
    before = snapshot(folder)
    result = run_failing(folder, monkeypatch, name, "read fact file", number)
    monkeypatch.undo()
    check_clean_failure(result, name, 1, f"{Path('facts', 'organizations.yaml')}: cannot read this file: "
                                          f"{REASONS[number]}")
    assert snapshot(folder) == before


def test_an_output_whose_parent_is_a_file(tmp_path, monkeypatch):
    shutil.copytree(BASE, tmp_path / "facts")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes").write_text("mine")
    for args, shown in [(["export", "-o", "notes/gpu-kg.ttl"], "notes/gpu-kg.ttl"),
                        (["build", "--out", "notes/out"], "notes/out/gpu-kg.ttl"),
                        (["views", "--out", "notes/views"], "notes/views/supply-chain.html"),
                        (["synth", "--companies", "1", "-o", "notes/synth"], "notes/synth")]:
        result = CliRunner().invoke(main, args + ([] if args[0] == "synth" else ["--facts", "facts"]))
        assert result.exit_code == 2, result.output
        assert "Traceback" not in result.output
        assert result.stderr == f"Error: cannot write {shown}: a part of the path is a file, not a folder\n"
    assert (tmp_path / "notes").read_text() == "mine"


def test_a_fact_folder_with_a_dangling_symbolic_link(tmp_path, monkeypatch):
    shutil.copytree(BASE, tmp_path / "facts")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "facts" / "moved.yaml").symlink_to("elsewhere/moved.yaml")
    result = CliRunner().invoke(main, ["validate", "--facts", "facts"])
    assert result.exit_code == 1
    assert result.stderr == ("facts/moved.yaml: a symbolic link to elsewhere/moved.yaml, which does not exist\n"
                             "1 problem; nothing was written.\n")


def test_a_stray_os_error_still_gets_the_tools_message(tmp_path, monkeypatch):
    """The CLI's last line of defence: an OSError no library function named."""
    shutil.copytree(BASE, tmp_path / "facts")
    monkeypatch.chdir(tmp_path)
    import kg

    def broken(*args, **kwargs):
        raise OSError(errno.EIO, "Input/output error", "facts/organizations.yaml")

    monkeypatch.setattr(kg, "load_facts", broken)
    result = CliRunner().invoke(main, ["validate", "--facts", "facts"])
    assert result.exit_code == 2
    assert result.stderr == ("Error: cannot use facts/organizations.yaml: an input/output error "
                             "(a failing disk or a network file system?)\n")


def test_a_store_load_that_fails_keeps_the_live_graph(previous, tmp_path, monkeypatch):
    folder = tmp_path / "work"
    shutil.copytree(previous, folder, symlinks=True)
    monkeypatch.chdir(folder)
    store = folder / "out" / "store"
    versions = sorted(p.name for p in store.iterdir())
    real = os.replace

    def replace(source, target, *args, **kwargs):
        if Path(target).name == "store.json" and "v-" in Path(source).read_text():
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(target))
        return real(source, target, *args, **kwargs)

    monkeypatch.setattr(os, "replace", replace)
    result = CliRunner().invoke(main, COMMANDS["build --store"])
    monkeypatch.undo()
    monkeypatch.chdir(folder)
    check_clean_failure(result, "build --store", 2, "no space left on the device")
    assert f"Error: cannot write {Path('out', 'store', 'store.json')}: no space" in result.stderr
    assert sorted(p.name for p in store.iterdir()) == versions, "the new version is gone, the old ones kept"
    again = CliRunner().invoke(main, ["query", "listing-race", "--store", "oxigraph:out/store"])
    assert again.exit_code == 0, again.output


# --- outputs that are not plain files ---------------------------------------------------------------

SEED = Path(__file__).parent / "fixtures" / "seed"
# Each command that takes -o, with a format (a device's name has no suffix to tell it).
DEVICE_COMMANDS = {
    "query": ["query", "listing-race", "--format", "csv"],
    "export": ["export", "--format", "nt"],
    "chart": ["chart", "listing-day", "--format", "svg"],
    "view": ["view", "capital", "--format", "graphml"],
}


@pytest.fixture
def no_rename_onto_devices(monkeypatch):
    """A guard for the machine: were the rename ever tried onto /dev (the bug), the test fails
    instead of replacing a device that every program on the machine uses."""
    real = os.replace

    def replace(source, target, *args, **kwargs):
        assert not str(target).startswith("/dev/"), f"renamed a file onto {target}"
        return real(source, target, *args, **kwargs)

    monkeypatch.setattr(os, "replace", replace)


@pytest.mark.parametrize("name", sorted(DEVICE_COMMANDS))
def test_a_full_device_is_written_through_and_its_failure_named(tmp_path, monkeypatch, no_rename_onto_devices, name):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, DEVICE_COMMANDS[name] + ["--facts", str(SEED), "-o", "/dev/full"])
    assert result.exit_code == 2, result.output
    assert result.stderr == "Error: cannot write /dev/full: no space left on the device\n"
    assert Path("/dev/full").is_char_device()
    assert not list(Path("/dev").glob(".full.*.tmp"))


@pytest.mark.parametrize("name", sorted(DEVICE_COMMANDS))
def test_dev_null_takes_an_output_and_stays_a_device(tmp_path, monkeypatch, no_rename_onto_devices, name):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, DEVICE_COMMANDS[name] + ["--facts", str(SEED), "-o", "/dev/null"])
    assert result.exit_code == 0, result.output
    assert "wrote /dev/null" in result.output
    assert Path("/dev/null").is_char_device()


def test_a_named_pipe_is_written_through_to_its_reader(tmp_path, monkeypatch):
    import threading

    monkeypatch.chdir(tmp_path)
    pipe = tmp_path / "rows"
    os.mkfifo(pipe)
    received = []
    reader = threading.Thread(target=lambda: received.append(pipe.read_bytes()))
    reader.start()
    result = CliRunner().invoke(main, ["query", "listing-race", "--facts", str(SEED), "--format", "csv", "-o", str(pipe)])
    reader.join(timeout=60)
    assert result.exit_code == 0, result.output
    printed = CliRunner().invoke(main, ["query", "listing-race", "--facts", str(SEED), "--format", "csv"])
    assert received == [printed.stdout_bytes]
    assert printed.stdout.startswith("date,stated_date,company,")
    assert pipe.is_fifo()


def test_a_symbolic_link_is_followed_to_its_file_and_stays_a_link(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "race.csv").write_text("old")
    (tmp_path / "latest.csv").symlink_to("results/race.csv")
    result = CliRunner().invoke(main, ["query", "listing-race", "--facts", str(SEED), "-o", "latest.csv"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "latest.csv").is_symlink()
    assert (tmp_path / "results" / "race.csv").read_text().startswith("date,stated_date,company,")
    assert sorted(p.name for p in (tmp_path / "results").iterdir()) == ["race.csv"]


def test_a_socket_is_refused_and_left_alone(tmp_path, monkeypatch):
    import socket

    monkeypatch.chdir(tmp_path)
    with socket.socket(socket.AF_UNIX) as server:
        server.bind("listening")
        result = CliRunner().invoke(main, ["query", "listing-race", "--facts", str(SEED), "--format", "csv",
                                           "-o", "listening"])
        assert result.exit_code == 2, result.output
        assert result.stderr == ("Error: cannot write listening: it is a socket, not a file; "
                                 "gpu-kg writes files, character devices and named pipes\n")
        assert (tmp_path / "listening").is_socket()


@pytest.mark.skipif(os.geteuid() != 0, reason="only root makes a device node")
def test_a_block_device_is_refused(tmp_path, monkeypatch):
    import stat

    monkeypatch.chdir(tmp_path)
    os.mknod("disk", stat.S_IFBLK | 0o600, os.makedev(7, 250))  # a loop device's number; never opened
    result = CliRunner().invoke(main, ["export", "--facts", str(SEED), "--format", "nt", "-o", "disk"])
    assert result.exit_code == 2, result.output
    assert result.stderr == ("Error: cannot write disk: it is a block device (a disk), not a file; "
                             "gpu-kg writes files, character devices and named pipes\n")
    assert (tmp_path / "disk").is_block_device()


def test_a_folder_is_not_replaced(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "race.csv").mkdir()
    result = CliRunner().invoke(main, ["query", "listing-race", "--facts", str(SEED), "-o", "race.csv"])
    assert result.exit_code == 2, result.output
    assert result.stderr.endswith("Error: Invalid value for '-o' / '--output': File 'race.csv' is a directory.\n")
    assert (tmp_path / "race.csv").is_dir()


# --- a machine without a font for Chinese --------------------------------------------------------------


@pytest.fixture
def no_cjk_font(tmp_path, monkeypatch):
    from kg.show import fonts

    monkeypatch.setattr(fonts, "FONT_FOLDERS", (str(tmp_path / "no-fonts-here"),))
    fonts.cjk_font_folders.cache_clear()
    yield
    fonts.cjk_font_folders.cache_clear()


@pytest.mark.parametrize("args", [["chart", "listing-day", "-o", "day.png"], ["view", "capital", "-o", "capital.png"]],
                         ids=["chart", "view"])
def test_a_chinese_picture_without_a_font_for_it_is_refused(tmp_path, monkeypatch, no_cjk_font, args):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, args + ["--lang", "zh", "--facts", str(SEED)])
    assert result.exit_code == 2, result.output
    assert result.stderr == ("Error: a PNG with Chinese labels needs a font with Chinese characters, and none is "
                             "installed (apt-get install fonts-noto-cjk, or put one in ~/.local/share/fonts); "
                             "SVG and HTML leave the font to the viewer\n")
    assert not list(tmp_path.glob("*.png"))


def test_an_english_chart_needs_no_font_for_chinese(tmp_path, monkeypatch, no_cjk_font):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["chart", "listing-day", "-o", "day.png", "--facts", str(SEED)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "day.png").read_bytes().startswith(b"\x89PNG")


def test_chinese_labels_are_drawn_as_their_own_glyphs(tmp_path, monkeypatch):
    """Each character its own shape: without a font for Chinese every one is the same box."""
    from kg.show import fonts
    from kg.show.charts import render_image

    if not fonts.cjk_font_folders():
        message = "no font with Chinese characters (apt-get install fonts-noto-cjk)"
        pytest.fail(message) if os.environ.get("CI") else pytest.skip(message)

    def picture(text: str) -> bytes:
        return render_image({"data": {"values": [{}]}, "mark": {"type": "text", "text": text, "fontSize": 40},
                             "config": {"font": "Noto Sans CJK SC"}, "width": 120, "height": 60,
                             "background": "white"}, "png", chinese=True)

    assert len({picture("天"), picture("地"), picture("芯")}) == 3
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["chart", "listing-day", "--lang", "zh", "-o", "day.png", "--facts", str(SEED)])
    assert (result.exit_code, result.output) == (0, "wrote day.png (4 rows)\n")
