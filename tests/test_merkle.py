"""The Merkle tree: RFC 6962 vectors, proofs that verify and refuse every change, the frontier."""
from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from config import PROJECT_ROOT
from workflow.merkle import (
    EMPTY_ROOT, Frontier, consistency_proof, consistency_ranges, fold, frontier_subtrees,
    inclusion_proof, inclusion_ranges, leaf_hash, node_hash, root, subtrees, verify_consistency,
    verify_inclusion,
)

SHARED = Path(os.environ.get("SHARED_DATA", PROJECT_ROOT.parent / "shared" / "data"))
VECTORS = SHARED / "rfc6962-vectors.json"
MAX_SIZE = 3000
LEAVES = [leaf_hash(n.to_bytes(8, "big")) for n in range(MAX_SIZE)]
PROPERTY = settings(max_examples=150, deadline=None)


@pytest.fixture(scope="module")
def vectors() -> dict:
    if not VECTORS.exists():
        message = f"the RFC 6962 vectors are not at {VECTORS}"
        if os.environ.get("REQUIRE_SHARED_DATA") == "1":
            pytest.fail(f"REQUIRE_SHARED_DATA=1 but {message}")
        pytest.skip(message)
    data = json.loads(VECTORS.read_text())
    data["leaves"] = [leaf_hash(bytes.fromhex(leaf)) for leaf in data["leaves_hex"]]
    return data


@lru_cache(maxsize=None)
def root_of(size: int) -> bytes:
    return root(LEAVES[:size])


def flipped(value: bytes, position: int) -> bytes:
    return value[:position] + bytes([value[position] ^ 0x01]) + value[position + 1:]


def every_one_byte_change(value: bytes):
    return (flipped(value, position) for position in range(len(value)))


def inclusion_shape(index: int, size: int) -> list[bool]:
    """Which side each proof hash sits on: all that the verifier learns from (index, size)."""
    return [end <= index for _, end in inclusion_ranges(index, size)]


def consistency_shape(old: int, new: int) -> tuple[bool, list[bool]]:
    """Whether the old root is a proof hash, and which proof hashes lie within the old tree."""
    return old & (old - 1) == 0, [end <= old for _, end in consistency_ranges(old, new)]


# --- RFC 6962 vectors ---------------------------------------------------------------------

def test_empty_root(vectors):
    assert EMPTY_ROOT.hex() == vectors["empty_root"]
    assert root([]) == EMPTY_ROOT
    assert Frontier().root() == EMPTY_ROOT


@pytest.mark.parametrize("size", range(1, 9))
def test_roots_of_the_eight_leaves(vectors, size):
    expected = vectors["roots"][str(size)]
    assert root(vectors["leaves"][:size]).hex() == expected
    frontier = Frontier()
    for leaf in vectors["leaves"][:size]:
        frontier.append(leaf)
    assert frontier.root().hex() == expected
    assert fold([root(vectors["leaves"][index << level:(index + 1) << level])
                 for level, index in frontier_subtrees(size)]).hex() == expected


def test_every_inclusion_path(vectors):
    leaves = vectors["leaves"]
    assert len(vectors["inclusion"]) == 36  # every (index, size) with 0 <= index < size <= 8
    for case in vectors["inclusion"]:
        index, size = case["index"], case["tree_size"]
        proof = inclusion_proof(index, size, leaves)
        assert [node.hex() for node in proof] == case["path"], case
        expected = [bytes.fromhex(node) for node in case["path"]]
        top = bytes.fromhex(vectors["roots"][str(size)])
        assert verify_inclusion(index, size, leaves[index], expected, top)


def test_every_consistency_proof(vectors):
    leaves = vectors["leaves"]
    assert len(vectors["consistency"]) == 36  # every (old, new) with 1 <= old <= new <= 8
    for case in vectors["consistency"]:
        old, new = case["old_size"], case["new_size"]
        proof = consistency_proof(old, new, leaves)
        assert [node.hex() for node in proof] == case["proof"], case
        expected = [bytes.fromhex(node) for node in case["proof"]]
        assert verify_consistency(old, new, bytes.fromhex(vectors["roots"][str(old)]),
                                  bytes.fromhex(vectors["roots"][str(new)]), expected)


# --- the pieces the proofs are made of -----------------------------------------------------

def test_hashes_are_domain_separated():
    assert leaf_hash(b"").hex() == "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    assert node_hash(LEAVES[0], LEAVES[1]) == root(LEAVES[:2]) != leaf_hash(LEAVES[0] + LEAVES[1])


def test_subtrees_split_a_range_as_the_rfc_does():
    assert subtrees(0, 0) == []
    assert subtrees(0, 13) == [(3, 0), (2, 2), (0, 12)]
    assert subtrees(8, 13) == [(2, 2), (0, 12)]
    assert subtrees(12, 16) == [(2, 3)]
    assert frontier_subtrees(6) == [(2, 0), (1, 2)]


@pytest.mark.parametrize("start, end", [(1, 3), (2, 6), (4, 13), (5, 3), (-1, 2)])
def test_subtrees_refuse_ranges_outside_an_rfc_tree(start, end):
    with pytest.raises(ValueError):
        subtrees(start, end)


@pytest.mark.parametrize("call", [
    lambda: inclusion_ranges(5, 5), lambda: inclusion_ranges(-1, 5), lambda: inclusion_ranges(0, 0),
    lambda: consistency_ranges(6, 5), lambda: consistency_ranges(-1, 5),
])
def test_ranges_refuse_what_no_proof_exists_for(call):
    with pytest.raises(ValueError):
        call()


def test_ranges_stay_logarithmic_at_the_scale_of_a_huge_log():
    size = 2**62 + 2**40 + 7
    path = inclusion_ranges(size - 3, size)
    assert len(path) <= 63 and all(len(subtrees(a, b)) <= 63 for a, b in path)
    assert len(consistency_ranges(2**61 + 3, size)) <= 2 * 63
    frontier = Frontier(size, [bytes(32)] * size.bit_count())
    assert len(frontier.append(bytes(32))) == 4  # size ends in binary 111: three subtrees complete
    assert len(frontier.root()) == 32


def test_verifiers_say_no_to_malformed_input():
    proof = inclusion_proof(3, 7, LEAVES)
    assert not verify_inclusion(3, 7, LEAVES[3], [*proof[:-1], proof[-1][:31]], root_of(7))
    assert not verify_inclusion(-1, 7, LEAVES[3], proof, root_of(7))
    # Without the bounds check, leaf 2 of a tree of 2 would walk the same path as leaf 0.
    assert not verify_inclusion(2, 2, LEAVES[0], [LEAVES[1]], root_of(2))
    assert not verify_inclusion(3, 7, LEAVES[3], [*proof, LEAVES[0]], root_of(7))
    assert not verify_inclusion(3, 7, LEAVES[3], proof[:-1], root_of(7))
    assert not verify_consistency(7, 5, root_of(7), root_of(5), consistency_proof(5, 7, LEAVES))
    assert not verify_consistency(5, 7, root_of(5), root_of(7), [])
    assert not verify_consistency(5, 5, root_of(5), root_of(5), [LEAVES[0]])
    assert not verify_consistency(5, 5, root_of(5), root_of(6), [])
    assert verify_consistency(0, 5, EMPTY_ROOT, root_of(5), [])
    assert not verify_consistency(0, 5, EMPTY_ROOT, root_of(5), [LEAVES[0]])


# --- properties over random trees ----------------------------------------------------------

@PROPERTY
@given(size=st.integers(1, MAX_SIZE), data=st.data())
def test_inclusion_proofs_verify_and_refuse_every_change(size, data):
    index = data.draw(st.integers(0, size - 1), label="index")
    proof = inclusion_proof(index, size, LEAVES)
    top = root_of(size)
    assert [root(LEAVES[a:b]) for a, b in inclusion_ranges(index, size)] == proof
    assert verify_inclusion(index, size, LEAVES[index], proof, top)

    for position, node in enumerate(proof):
        for changed in every_one_byte_change(node):
            assert not verify_inclusion(index, size, LEAVES[index], [*proof[:position], changed,
                                                                     *proof[position + 1:]], top)
    assert not any(verify_inclusion(index, size, changed, proof, top)
                   for changed in every_one_byte_change(LEAVES[index]))
    assert not any(verify_inclusion(index, size, LEAVES[index], proof, changed)
                   for changed in every_one_byte_change(top))
    assert not verify_inclusion(index, size, LEAVES[index], [*proof, top], top)

    if size > 1:
        other = data.draw(st.integers(0, size - 1).filter(lambda n: n != index), label="wrong index")
        assert not verify_inclusion(other, size, LEAVES[index], proof, top)
    # A size enters only through the proof's shape: one of another shape is always refused, and
    # one of the same shape is the log's to rule out by signing its sizes.
    for other in {size - 1, size + 1, data.draw(st.integers(1, 2 * MAX_SIZE), label="wrong size")}:
        if other != size and other > index:
            same = inclusion_shape(index, other) == inclusion_shape(index, size)
            assert verify_inclusion(index, other, LEAVES[index], proof, top) == same


@PROPERTY
@given(new=st.integers(1, MAX_SIZE), data=st.data())
def test_consistency_proofs_verify_and_refuse_every_change(new, data):
    old = data.draw(st.integers(1, new), label="old")
    proof = consistency_proof(old, new, LEAVES)
    old_root, new_root = root_of(old), root_of(new)
    assert [root(LEAVES[a:b]) for a, b in consistency_ranges(old, new)] == proof
    assert verify_consistency(old, new, old_root, new_root, proof)
    assert verify_consistency(0, new, EMPTY_ROOT, new_root, [])

    for position, node in enumerate(proof):
        for changed in every_one_byte_change(node):
            assert not verify_consistency(old, new, old_root, new_root,
                                          [*proof[:position], changed, *proof[position + 1:]])
    assert not any(verify_consistency(old, new, changed, new_root, proof)
                   for changed in every_one_byte_change(old_root))
    assert not any(verify_consistency(old, new, old_root, changed, proof)
                   for changed in every_one_byte_change(new_root))
    assert not verify_consistency(old, new, old_root, new_root, [*proof, new_root])

    if old < new:
        assert not verify_consistency(old, new, old_root, new_root, proof[:-1])
        wrong_old = data.draw(st.integers(1, 2 * MAX_SIZE), label="wrong old")
        wrong_new = data.draw(st.integers(wrong_old + 1, 2 * MAX_SIZE + 1), label="wrong new")
        for other_old, other_new in {(old - 1, new), (old + 1, new), (old, new + 1),
                                     (wrong_old, wrong_new)}:
            if 0 < other_old < other_new and (other_old, other_new) != (old, new):
                same = consistency_shape(other_old, other_new) == consistency_shape(old, new)
                assert verify_consistency(other_old, other_new, old_root, new_root, proof) == same


def test_frontier_gives_every_root_and_completes_the_right_subtrees():
    frontier = Frontier()
    for size, leaf in enumerate(LEAVES[:1100]):
        completed = frontier.append(leaf)
        # Leaf number `size` completes the subtree at each level whose last leaf it is.
        expected = [root(LEAVES[(size >> level) << level:((size >> level) + 1) << level])
                    for level in range(len(completed))]
        assert completed == expected
        # ... and no other: the new size's lowest one bit is the largest subtree completed.
        assert (size + 1) & -(size + 1) == 1 << (len(completed) - 1)
        assert frontier.size == size + 1
        assert frontier.root() == root_of(size + 1)


@settings(max_examples=60, deadline=None)
@given(size=st.integers(0, MAX_SIZE - 64), more=st.integers(1, 64))
def test_a_frontier_restored_from_stored_subtrees_carries_on(size, more):
    stored = [root(LEAVES[index << level:(index + 1) << level])
              for level, index in frontier_subtrees(size)]
    frontier = Frontier(size, stored)
    assert frontier.root() == root_of(size)
    for position in range(size, size + more):
        completed = frontier.append(LEAVES[position])
        assert completed[-1] == root(LEAVES[position + 1 - (1 << len(completed) - 1):position + 1])
    assert frontier.root() == root_of(size + more)
    assert list(frontier.hashes) == [root(LEAVES[index << level:(index + 1) << level])
                                     for level, index in frontier_subtrees(size + more)]


@pytest.mark.parametrize("size, hashes", [(3, [bytes(32)]), (1, [b"short"]), (-1, [])])
def test_a_frontier_refuses_subtrees_that_do_not_fit_its_size(size, hashes):
    with pytest.raises(ValueError):
        Frontier(size, hashes)
