"""The board's drag and drop library is pinned and installed by setup like every other
vendored asset (runtime.assets): exact version, sha512 integrity, into static/vendor/."""

import json
import re
from pathlib import Path

from runtime.assets import ROOT, vendor_target


def test_sortablejs_is_pinned_with_sha512_and_vendored():
    manifest = json.loads((ROOT / "package.json").read_text())
    lock = json.loads((ROOT / "package-lock.json").read_text())["packages"]
    version = manifest["dependencies"]["sortablejs"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", version)  # exact, no range
    pinned = lock["node_modules/sortablejs"]
    assert pinned["version"] == version and pinned["integrity"].startswith("sha512-")
    assert manifest["vendor"]["sortablejs"]["Sortable.min.js"] == "sortablejs/Sortable.min.js"


def test_the_board_loads_the_vendored_file_and_its_own_script(tmp_path: Path):
    target = vendor_target(tmp_path, "sortablejs/Sortable.min.js")
    assert target == (tmp_path / "static" / "vendor" / "sortablejs" / "Sortable.min.js").resolve()
    board = (ROOT / "templates" / "backoffice" / "pipeline" / "board.html").read_text()
    assert '<script src="/static/vendor/sortablejs/Sortable.min.js" defer></script>' in board
    assert '<script src="/static/js/pipeline-board.js" defer></script>' in board
    assert (ROOT / "static" / "js" / "pipeline-board.js").is_file()
