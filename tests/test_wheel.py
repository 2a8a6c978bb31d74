"""The package as installed from a wheel: the default model ships inside it, so `sanwei score`
works without the source tree (the demo files are data passed on the command line)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo"


def test_a_wheel_scores_the_demo_quarter_with_the_packaged_model(tmp_path):
    src = tmp_path / "src"  # what a wheel is built from: the project file, README and the package
    shutil.copytree(ROOT / "scoring", src / "scoring", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                            "-w", str(tmp_path / "dist"), str(src)], capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    [wheel] = (tmp_path / "dist").glob("sanwei-*.whl")
    assert "scoring/data/model.toml" in zipfile.ZipFile(wheel).namelist()
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), str(wheel)],
                   check=True)
    files = [str(p) for p in sorted(DEMO.glob("2026Q3_indicators_*.xlsx"))]
    run = subprocess.run(
        [sys.executable, "-c", "import sys, scoring, scoring.cli; print(scoring.__file__, file=sys.stderr); "
                               "sys.exit(scoring.cli.main(sys.argv[1:]))",
         "score", "--units", str(DEMO / "units.xlsx"), "--survey", str(DEMO / "2026Q3_survey.xlsx"),
         "--indicators", *files, "--compliance", str(DEMO / "2026Q3_compliance.xlsx"),
         "--reverse", str(DEMO / "2026Q3_reverse.xlsx"), "--period", "2026Q3", "--json", "-"],
        cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(site)}, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stderr.startswith(str(site)), "the installed wheel must be what ran, not the source tree"
    result = json.loads(run.stdout)
    assert result["model"]["name"] == "示范市三维考核模型" and len(result["units"]) == 36
