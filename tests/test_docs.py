"""The Python examples in README.md and docs/ run as written.

Blocks fenced as ``python`` run (``py`` marks a sketch that needs the reader's data). Blocks
of one page share a namespace and run in order. Without a GPU, ``device="cuda"`` is replaced
by ``device="cpu"`` (the pages say which lines need one).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"```python\n(.*?)```", re.S)


def _blocks(page: Path) -> list[str]:
    return BLOCK.findall(page.read_text())


@pytest.mark.parametrize("page", [p for p in PAGES if _blocks(p)], ids=lambda p: p.name)
def test_examples_run(page):
    namespace: dict[str, object] = {"__name__": f"docs_{page.stem}"}
    for code in _blocks(page):
        if not torch.cuda.is_available():
            code = code.replace('device="cuda"', 'device="cpu"')
        exec(compile(code, str(page), "exec"), namespace)
