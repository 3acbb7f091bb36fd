"""The paper quotes only generated numbers and inputs only generated tables."""

from __future__ import annotations

import re
from pathlib import Path

PAPER = Path(__file__).resolve().parents[1] / "paper"

# Commands whose arguments may hold digits: generated values, files, labels, references.
_ALLOWED = re.compile(
    r"\\(?:cjval|input|label|ref|cite|citet|citep|includegraphics|begin|end|texttt)"
    r"(?:\[[^\]]*\])?\{[^}]*\}"
)


def _prose(tex: str) -> str:
    body = tex.split(r"\begin{document}", 1)[1]
    body = re.sub(r"(?<!\\)%.*", "", body)  # comments
    body = re.sub(r"\^\{?\d\}?", "", body)  # exponents in notation such as $G^2$
    return _ALLOWED.sub("", body)


def test_no_number_is_typed_by_hand():
    prose = _prose((PAPER / "main.tex").read_text())
    digits = [m.group(0) for m in re.finditer(r"\S*\d\S*", prose)]
    assert not digits, f"numbers typed by hand in paper/main.tex: {digits[:10]}"


def test_every_value_and_input_exists():
    tex = (PAPER / "main.tex").read_text()
    for name in re.findall(r"\\input\{([^}]*)\}", tex):
        assert (PAPER / (name if name.endswith(".tex") else name + ".tex")).exists(), name
    defined = set()
    for f in (PAPER / "generated").glob("*_values.tex"):
        defined |= set(re.findall(r"\\csname cjv@([^\\]+)\\endcsname", f.read_text()))
    uncommented = re.sub(r"(?<!\\)%.*", "", tex)
    used = set(re.findall(r"\\cjval\{([^}]*)\}", uncommented))
    assert used <= defined, f"undefined generated values: {sorted(used - defined)}"
    for fig in re.findall(r"\\includegraphics(?:\[[^\]]*\])?\{([^}]*)\}", tex):
        assert (PAPER / fig).exists() or fig.startswith("generated/"), fig


def test_the_check_catches_a_typed_number():
    assert re.search(r"\d", _prose(r"\begin{document} a rate of 12.9\% \end{document}"))
    assert not re.search(r"\d", _prose(r"\begin{document} \cjval{01-rate} \end{document}"))


def test_values_index_lists_every_notebook(tmp_path):
    from tools.reproduce import write_values_index

    for f in (PAPER / "generated").glob("[0-9][0-9]_values.tex"):
        (tmp_path / f.name).write_text("")
    fresh = write_values_index(tmp_path).read_text()
    assert fresh == (PAPER / "generated" / "values.tex").read_text()
