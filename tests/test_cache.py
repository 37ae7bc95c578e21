"""The build cache: a hit only for the same inputs, and a damaged entry is a miss, not a failure."""

from sitegen.cache import Cache, content_hash


def test_a_stored_value_is_loaded_back_under_the_same_key(tmp_path):
    cache = Cache(tmp_path / "cache")
    cache.store("learning", content_hash("papers", "curation"), {"related": [1, 2]})
    assert cache.load("learning", content_hash("papers", "curation")) == {"related": [1, 2]}


def test_different_inputs_never_share_a_key():
    assert content_hash("ab", "c") != content_hash("a", "bc")
    assert content_hash(b"x") == content_hash("x")


def test_a_corrupted_entry_is_a_miss_and_is_replaced(tmp_path):
    cache = Cache(tmp_path)
    key = content_hash("inputs")
    cache.store("index", key, [1])
    cache.path("index", key).write_bytes(b"not a pickle")
    assert cache.load("index", key) is None
    cache.store("index", key, [2])
    assert cache.load("index", key) == [2]


def test_a_new_entry_replaces_older_entries_of_its_kind_only(tmp_path):
    cache = Cache(tmp_path)
    cache.store("index", content_hash("old"), 1)
    cache.store("learning", content_hash("old"), 1)
    cache.store("index", content_hash("new"), 2)
    assert sorted(path.name.split("-")[0] for path in tmp_path.iterdir()) == ["index", "learning"]


def test_a_disabled_cache_never_hits_and_writes_nothing(tmp_path):
    cache = Cache(None)
    cache.store("index", "key", 1)
    assert cache.load("index", "key") is None


def test_an_entry_with_a_byte_changed_is_a_miss(tmp_path):
    cache = Cache(tmp_path)
    key = content_hash("inputs")
    cache.store("html", key, {"page": b"<p>" + b"a" * 1000 + b"</p>"})
    path = cache.path("html", key)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 1  # inside the stored HTML: still a valid pickle
    path.write_bytes(bytes(data))
    assert cache.load("html", key) is None
