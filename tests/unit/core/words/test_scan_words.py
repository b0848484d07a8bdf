"""A scan's notes are codes in the snapshot; the notice bar says them through ``core/words/scan.py``."""

from __future__ import annotations

from loopgui.core.net.sockets import ScanProblem, ScanProblemCode
from loopgui.core.words.scan import problem_text


def test_every_scan_problem_has_its_sentence_and_json() -> None:
    texts = {problem_text(ScanProblem(code, count=3)) for code in ScanProblemCode}
    assert len(texts) == len(ScanProblemCode) and all(t.endswith(".") for t in texts)
    assert ScanProblem(ScanProblemCode.OTHERS_REFUSED, count=3).as_dict() == {"code": "others_refused", "count": 3}
    assert ScanProblem(ScanProblemCode.FALLBACK).as_dict() == {"code": "fallback"}


def test_a_count_of_one_is_singular() -> None:
    one = problem_text(ScanProblem(ScanProblemCode.OTHERS_REFUSED, count=1))
    assert one == "1 program belongs to other users or the system, so its connections are not listed."
    assert problem_text(ScanProblem(ScanProblemCode.FILE_SOCKETS_UNREADABLE)) == (
        "The list of file sockets could not be read."
    )
