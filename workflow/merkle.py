"""RFC 6962 / RFC 9162 Merkle tree: hashes, proofs, their verification and an incremental tree.

Standard library only: the offline verifier and a witness use it without the app.
Hashes are 32 raw bytes; leaves are 0-based indexes; tree sizes are counts of leaves.
A node (level, index) is the perfect subtree over leaves [index * 2**level, (index + 1) * 2**level).
"""
from __future__ import annotations

import hashlib
from collections.abc import Sequence

EMPTY_ROOT = hashlib.sha256(b"").digest()
HASH_SIZE = 32


def leaf_hash(data: bytes) -> bytes:
    """The hash of one leaf: SHA-256(0x00 || data)."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The hash of an inner node: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """The Merkle tree hash (MTH) of a list of leaf hashes."""
    if not leaf_hashes:
        return EMPTY_ROOT
    level = list(leaf_hashes)
    while len(level) > 1:
        # Pairing neighbours and carrying an odd last node up unchanged is the RFC's split at the
        # largest power of two, done bottom-up.
        paired = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1): where the RFC splits a range of n leaves."""
    return 1 << ((n - 1).bit_length() - 1)


def subtrees(start: int, end: int) -> list[tuple[int, int]]:
    """The perfect subtrees (level, index) that cover leaves [start, end), left to right."""
    if not 0 <= start <= end:
        raise ValueError(f"not a range of leaves: [{start}, {end})")
    if start == end:
        return []
    top = (end - start).bit_length() - 1
    if start % (1 << top):
        # Anywhere else the RFC's hash of the range is not made of aligned subtrees.
        raise ValueError(f"[{start}, {end}) is not a range of an RFC 6962 tree: "
                         f"{start} is not a multiple of {1 << top}")
    nodes = []
    for level in range(top, -1, -1):
        if (end - start) >> level & 1:
            nodes.append((level, start >> level))
            start += 1 << level
    return nodes


def fold(hashes: Sequence[bytes]) -> bytes:
    """The hash of a range from the hashes of its perfect subtrees, left to right."""
    if not hashes:
        return EMPTY_ROOT
    result = hashes[-1]
    for left in reversed(hashes[:-1]):
        result = node_hash(left, result)
    return result


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The leaf ranges whose hashes prove leaf `index` in a tree of `size`, bottom-up."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of size {size}")
    ranges = []
    start, end = 0, size
    while end - start > 1:  # RFC 9162 2.1.3.1, PATH(m, D[n]), walked from the root down
        middle = start + _split(end - start)
        if index < middle:
            ranges.append((middle, end))
            end = middle
        else:
            ranges.append((start, middle))
            start = middle
    ranges.reverse()
    return ranges


def consistency_ranges(old: int, new: int) -> list[tuple[int, int]]:
    """The leaf ranges whose hashes make the consistency proof from size `old` to size `new`."""
    if not 0 <= old <= new:
        raise ValueError(f"no consistency proof from size {old} to size {new}")
    if old == 0 or old == new:
        return []  # nothing to prove: the empty tree and a tree itself are consistent with it
    ranges = []
    start, end, complete = 0, new, True
    while old != end:  # RFC 9162 2.1.4.1, SUBPROOF(m, D[n], b), from the root down
        middle = start + _split(end - start)
        if old <= middle:
            ranges.append((middle, end))
            end = middle
        else:
            ranges.append((start, middle))
            start, complete = middle, False
    if not complete:
        ranges.append((start, end))  # the old tree's last subtree, which the verifier cannot know
    ranges.reverse()
    return ranges


def _range_hash(start: int, end: int, leaf_hashes: Sequence[bytes]) -> bytes:
    return fold([root(leaf_hashes[index << level:(index + 1) << level])
                 for level, index in subtrees(start, end)])


def inclusion_proof(index: int, size: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """The inclusion proof of leaf `index` in the first `size` of an in-memory list of leaf hashes."""
    return [_range_hash(a, b, leaf_hashes) for a, b in inclusion_ranges(index, size)]


def consistency_proof(old: int, new: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """The consistency proof between two sizes of an in-memory list of leaf hashes."""
    return [_range_hash(a, b, leaf_hashes) for a, b in consistency_ranges(old, new)]


def _hashes(*values) -> bool:
    return all(isinstance(value, bytes) and len(value) == HASH_SIZE for value in values)


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes) -> bool:
    """Whether `proof` shows leaf hash `leaf` at `index` in the tree of `size` with hash `root`."""
    # RFC 9162 2.1.3.2, step by step.
    if not 0 <= index < size or not _hashes(leaf, root, *proof):
        return False
    fn, sn = index, size - 1
    result = leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            result = node_hash(p, result)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            result = node_hash(result, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and result == root


def verify_consistency(old: int, new: int, old_root: bytes, new_root: bytes,
                       proof: Sequence[bytes]) -> bool:
    """Whether `proof` shows the tree (`new`, `new_root`) extends the tree (`old`, `old_root`)."""
    if not 0 <= old <= new or not _hashes(*proof):
        return False
    if old == new:
        return not proof and old_root == new_root
    if old == 0:
        return not proof  # the empty tree is a prefix of every tree
    if not proof or not _hashes(old_root, new_root):
        return False
    # RFC 9162 2.1.4.2, step by step.
    path = list(proof)
    if old & (old - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == old_root and sr == new_root and sn == 0


def frontier_subtrees(size: int) -> list[tuple[int, int]]:
    """The perfect subtrees (level, index) on the right edge of a tree of `size`, largest first."""
    return subtrees(0, size)


class Frontier:
    """A tree kept as the hashes of the perfect subtrees on its right edge, largest first."""

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()):
        if size < 0 or len(hashes) != size.bit_count():
            raise ValueError(f"a tree of size {size} has {max(size, 0).bit_count()} subtrees "
                             f"on its right edge, not {len(hashes)}")
        if not _hashes(*hashes):
            raise ValueError("subtree hashes are 32 bytes each")
        self.size = size
        self._hashes = list(hashes)

    @property
    def hashes(self) -> tuple[bytes, ...]:
        """The right edge's subtree hashes, largest first, as `frontier_subtrees(size)` names them."""
        return tuple(self._hashes)

    def append(self, leaf: bytes) -> list[bytes]:
        """Add one leaf hash; return the hashes of the subtrees it completes, the leaf first."""
        if not _hashes(leaf):
            raise ValueError("a leaf hash is 32 bytes")
        completed = [leaf]
        carry, size = leaf, self.size
        while size & 1:  # each trailing one bit of the size is a subtree of the new one's height
            carry = node_hash(self._hashes.pop(), carry)
            completed.append(carry)
            size >>= 1
        self._hashes.append(carry)
        self.size += 1
        return completed

    def root(self) -> bytes:
        """The tree hash at the current size."""
        return fold(self._hashes)
