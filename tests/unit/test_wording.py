"""How counts and sizes read, the same in the window and the CLI."""

from __future__ import annotations

from hypothesis import example, given
from hypothesis import strategies as st

from desktop.wording import human_size, plural


def test_plural() -> None:
    assert plural(1, "chart") == "1 chart"
    assert plural(1204, "version") == "1,204 versions"
    assert plural(2, "copy", "copies") == "2 copies"


def test_sizes_take_the_largest_unit_under_1024() -> None:
    assert human_size(0) == "0 B"
    assert human_size(1023) == "1,023 B"
    assert human_size(1024) == "1.0 KB"
    assert human_size(1023.6) == "1.0 KB"  # not "1,024 B"
    assert human_size(2**20 - 1) == "1.0 MB"  # not "1,024.0 KB"
    assert human_size(3.4 * 2**20) == "3.4 MB"
    assert human_size(316 * 2**20) == "316.0 MB"
    assert human_size(1234.5 * 2**30) == "1,234.5 GB"


@given(st.integers(min_value=0, max_value=2**60))
@example(2**20 - 1)
@example(2**30 - 1)
def test_every_size_reads_as_a_number_and_a_unit(count: int) -> None:
    number, unit = human_size(count).split(" ")
    assert unit in ("B", "KB", "MB", "GB")
    assert float(number.replace(",", "")) >= 0
    assert unit == "GB" or float(number.replace(",", "")) < 1024
