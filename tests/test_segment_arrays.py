"""The per-document arrays joined from per-segment caches (archive/search/segment_arrays.py): after an `add` only
the new segments are read, and the joined arrays are exactly those read from the whole index."""

from __future__ import annotations

import datetime
import json
import random
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from archive.index.store import ARRAYS_CACHE_PREFIX, SEGMENT_ARRAYS_PREFIX, current_index_path, open_generation
from archive.index.whoosh_io import leaf_readers
from archive.index.writer import add_to_index, rebuild_index
from archive.search.archive import Archive
from archive.search.docarrays import DocArrays, pack_strings, unpack_strings
from archive.search.segment_arrays import SegmentArrays, load_arrays

PEOPLE = ["فلاديمير بوتين", "دونالد ترامب", "بشار الأسد", "رجب طيب أردوغان", "إيمانويل ماكرون", "محمد بن سلمان",
          "كمال الدين الجديدي", "سارة المطيري"]
PLACES = ["موسكو", "دمشق", "القاهرة", "بيروت", "تونس", "الرباط"]
ORGANIZATIONS = ["الأمم المتحدة", "حلف شمال الأطلسي", "جامعة الدول العربية", "البنك الدولي"]
OUTLETS = ["BBC Arabic", "CNN Arabic", "Al Arabiya", "Sky News Arabia", None]
SECTIONS = ["سياسة", "اقتصاد", "رياضة", None]
# the words of a news paragraph, drawn at random into bodies that never repeat (a repeated paragraph would be
# learned as boilerplate and removed)
PARAGRAPH = ("قال مسؤول إن الحكومة تدرس خطة جديدة لدعم الاقتصاد وتوفير فرص العمل للشباب في المدن والقرى بعد "
             "أشهر من المفاوضات بين الأطراف المعنية حول الموازنة العامة والإصلاحات المطلوبة لمواجهة ارتفاع "
             "الأسعار وتراجع النمو وأكد وزير المالية أن البرلمان سيناقش المشروع الأسبوع المقبل")
VOCABULARY = PARAGRAPH.split()


def _record(number: int, rnd: random.Random, names: int = 4) -> dict:
    day = None if rnd.random() < 0.15 else datetime.date(2019, 1, 1) + datetime.timedelta(days=rnd.randrange(700))
    record = {
        "id": f"s{number:04d}",
        "title": f"تقرير رقم {number} عن الأحداث في {rnd.choice(PLACES)}",
        "body": " ".join(rnd.choice(VOCABULARY) for _ in range(60)) + f" (تقرير {number})",
        "source": rnd.choice(OUTLETS),
        "date": day.isoformat() if day else None,
        "persons": rnd.sample(PEOPLE, rnd.randrange(names)),
        "places": rnd.sample(PLACES, rnd.randrange(3)),
        "organizations": rnd.sample(ORGANIZATIONS, rnd.randrange(3)),
    }
    section = rnd.choice(SECTIONS)
    if section:
        record["section"] = section
    return record


def _write(path: Path, records: list[dict]) -> Path:
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n", encoding="utf-8")
    return path


def assert_same_arrays(a: DocArrays, b: DocArrays) -> None:
    for name in ("count", "live_count", "source_names", "month_keys", "person_names", "person_blocks"):
        assert getattr(a, name) == getattr(b, name), name
    for name in ("live", "source_id", "day", "month_id", "pair_doc", "pair_person", "person_start", "title_len",
                 "body_len", "id_rank"):
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype and x.tolist() == y.tolist(), name
    assert list(a.metadata) == list(b.metadata)
    for name, facet in a.metadata.items():
        assert facet.values == b.metadata[name].values and facet.value_id.tolist() == b.metadata[name].value_id.tolist()
    assert list(a.entities) == list(b.entities)
    for name, entity in a.entities.items():
        other = b.entities[name]
        assert entity.names == other.names
        for part in ("pair_doc", "pair_name", "start"):
            assert getattr(entity, part).tolist() == getattr(other, part).tolist(), (name, part)


@pytest.fixture(scope="module")
def added(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, int]:
    """An index rebuilt (each segment's arrays cached by the rebuild's prepare), then an add of new and updated
    articles, with new names, outlets, months and metadata values; (index, segments before, reads at the open
    after the add)."""
    rnd = random.Random(3)
    base = tmp_path_factory.mktemp("segments")
    index = base / "index"
    rebuild_index([_write(base / "first.jsonl", [_record(n, rnd) for n in range(300)])], index, workers=2)
    Archive.prepare(index)  # as the rebuild-index command does
    generation = current_index_path(index)
    before = len(leaf_readers(open_generation(index, generation)[1]))
    assert len(list(generation.glob(f"{SEGMENT_ARRAYS_PREFIX}*.npz"))) == before
    later = [_record(n, rnd) for n in range(0, 40, 3)] + [_record(n, rnd) for n in range(300, 340)]
    later[-1]["persons"] = ["عبد الرحمن الزهراني"]  # a name no earlier segment holds
    later[-1]["source"] = "Asharq Al-Awsat"
    later[-1]["date"] = "2024-06-30"
    later[-1]["section"] = "ثقافة"
    add_to_index([_write(base / "later.jsonl", later)], index)
    reads = 0
    original = SegmentArrays.read

    def counted(segment: object) -> SegmentArrays:
        nonlocal reads
        reads += 1
        return original(segment)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(SegmentArrays, "read", staticmethod(counted))
        Archive.open(index).close()
    return index, before, reads


def test_after_an_add_only_the_new_segments_are_read(added: tuple[Path, int, int]) -> None:
    index, before, reads = added
    generation = current_index_path(index)
    _, reader = open_generation(index, generation)
    segments = len(leaf_readers(reader))
    assert segments == before + 1  # the add wrote a segment of its own
    assert reads == 1
    assert len(list(generation.glob(f"{SEGMENT_ARRAYS_PREFIX}*.npz"))) == segments


def test_arrays_joined_from_cached_segments_equal_the_whole_index_read_afresh(added: tuple[Path, int, int]) -> None:
    index, _, _ = added
    generation = current_index_path(index)
    _, reader = open_generation(index, generation)
    joined = load_arrays(reader, generation)  # every segment from its cache file
    afresh = load_arrays(reader)              # every segment read from its postings
    assert_same_arrays(joined, afresh)
    assert "عبد الرحمن الزهراني" in joined.person_names and "2024-06" in joined.month_keys
    assert joined.live_count == 340 < joined.count  # the updated articles' old versions are deleted
    assert joined.metadata["section"].values == sorted({"سياسة", "اقتصاد", "رياضة", "ثقافة"})


def test_the_searcher_after_an_add_answers_from_the_joined_arrays(added: tuple[Path, int, int]) -> None:
    index, _, _ = added
    with Archive.open(index) as archive:
        result = archive.search("", persons=["عبد الرحمن الزهراني"])
        assert [hit.id for hit in result.hits] == ["s0339"]
        assert dict(result.facets["source"]) == {"الشرق الأوسط": 1}  # the outlet canonicalized


def test_a_damaged_segment_cache_is_read_again_and_a_stale_one_removed(added: tuple[Path, int, int],
                                                                      tmp_path: Path) -> None:
    index, _, _ = added
    generation = current_index_path(index)
    _, reader = open_generation(index, generation)
    expected = load_arrays(reader)
    copy = tmp_path / "cache"
    copy.mkdir()
    for file in generation.glob(f"{SEGMENT_ARRAYS_PREFIX}*.npz"):
        (copy / file.name).write_bytes(file.read_bytes())
    damaged = sorted(copy.glob("*.npz"))[0]
    damaged.write_bytes(damaged.read_bytes()[:200])
    stale = copy / f"{SEGMENT_ARRAYS_PREFIX}MAIN_gone.npz"
    stale.write_bytes(b"a segment merged away")
    assert_same_arrays(load_arrays(reader, copy), expected)
    assert not stale.exists()
    assert damaged.stat().st_size > 200  # rewritten
    assert {f.name for f in copy.glob("*.npz")} == {f.name for f in generation.glob(f"{SEGMENT_ARRAYS_PREFIX}*.npz")}


def test_whole_arrays_cache_is_kept_beside_the_segment_caches(added: tuple[Path, int, int]) -> None:
    generation = current_index_path(added[0])
    assert list(generation.glob(f"{ARRAYS_CACHE_PREFIX}*.npz"))
    assert np.all(np.diff(load_arrays(open_generation(added[0], generation)[1]).pair_doc) >= 0)


@pytest.mark.parametrize("values", [
    [], [""], ["", ""], ["فلاديمير بوتين", "", "Trump"], ["a\0b", "c"], ["\0"], ["شخص\ud800مكسور"],
    ["مُحَمَّد", "😀 ok", "x" * 5000],
])
def test_packed_strings_come_back_exactly(values: list[str]) -> None:
    packed = pack_strings(values)
    assert unpack_strings(packed) == values
    if not any("\0" in v for v in values):
        assert packed.dtype == np.uint8  # UTF-8 bytes, not four bytes a letter padded to the longest
    else:
        assert packed.dtype == np.int8  # kept as JSON


def test_unpack_refuses_an_array_that_holds_no_packed_strings() -> None:
    with pytest.raises(ValueError, match="not a packed list"):
        unpack_strings(np.arange(4, dtype=np.int32))


@pytest.fixture
def saved(added: tuple[Path, int, int], tmp_path: Path) -> tuple[Path, Any, DocArrays, Path]:
    """(generation, its reader, its arrays read afresh, those arrays saved to a file of their own)."""
    index, _, _ = added
    generation = current_index_path(index)
    _, reader = open_generation(index, generation)
    arrays = load_arrays(reader)
    path = tmp_path / "arrays.npz"
    arrays.save(path)
    return generation, reader, arrays, path


def test_cache_files_round_trip_every_array_and_are_deflated(saved: tuple[Path, Any, DocArrays, Path]) -> None:
    generation, _, arrays, path = saved
    loaded = DocArrays.from_file(path, arrays.count)
    assert loaded is not None
    assert_same_arrays(loaded, arrays)
    with zipfile.ZipFile(path) as members:
        infos = members.infolist()
        assert all(info.compress_type == zipfile.ZIP_DEFLATED for info in infos)
        assert sum(i.compress_size for i in infos) < sum(i.file_size for i in infos) / 2
    with np.load(path) as data:
        assert data["person_names"].dtype == np.uint8
    for file in generation.glob(f"{SEGMENT_ARRAYS_PREFIX}*.npz"):
        with np.load(file) as data:
            assert data["ids"].dtype == data["names_person"].dtype == np.uint8


def test_a_cache_file_damaged_inside_a_deflated_member_is_made_again(saved: tuple[Path, Any, DocArrays, Path],
                                                                     tmp_path: Path) -> None:
    """Bytes flipped in the middle of a member (deflate data, not the zip's directory) fail zlib, not the zip
    reader: the file is read as missing, and the arrays are made from the index instead."""
    generation, reader, arrays, path = saved
    path.write_bytes(_flipped_inside_largest_member(path))
    assert DocArrays.from_file(path, arrays.count) is None
    copy = tmp_path / "segments"
    copy.mkdir()
    for file in generation.glob(f"{SEGMENT_ARRAYS_PREFIX}*.npz"):
        (copy / file.name).write_bytes(_flipped_inside_largest_member(file))
    assert_same_arrays(load_arrays(reader, copy), arrays)


def _flipped_inside_largest_member(path: Path) -> bytes:
    """PATH's bytes with 64 of them flipped halfway through its largest member's deflated data (past the member's
    30-byte local header, its name and extra field)."""
    with zipfile.ZipFile(path) as members:
        info = max(members.infolist(), key=lambda i: i.compress_size)
    data = bytearray(path.read_bytes())
    middle = info.header_offset + 30 + len(info.filename) + len(info.extra) + info.compress_size // 2
    for at in range(middle, middle + 64):
        data[at] ^= 0x5A
    return bytes(data)
