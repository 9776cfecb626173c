#!/usr/bin/env python3
"""An independent checker of `passbook export` and `passbook prove` output.

It shares no code with passbook. It is written from the public texts only, with the Python 3
standard library and nothing else:
  - RFC 9162 section 2.1: the Merkle tree hash, and the verification of inclusion (2.1.3.2) and
    consistency (2.1.4.2) proofs;
  - RFC 8032 section 5.1: Ed25519 (point decoding 5.1.3, addition 5.1.4, verification 5.1.7);
  - C2SP signed-note (key ids, verifier keys, signature lines) and C2SP tlog-checkpoint;
  - the passbook entry layout (schemas): u8 version, u64 seq (big-endian), i64 commit_ms
    (big-endian), 32-byte prev_hash, then the signed envelope: u32 length + envelope bytes,
    a 64-byte signature, u32 count + count x (32-byte key, 64-byte co-signature). The envelope
    starts u8 version, 16-byte ledger id, 32-byte signer key.

What it checks in an export (JSON lines: a header, then entries and checkpoints):
  - every entry's leaf hash is SHA-256(0x00 || entry bytes) and matches the line;
  - entries are numbered without gaps from the header's `from` to its `to`, each entry's seq
    field says so, commit times never decrease, and each entry's prev_hash is the previous
    entry's leaf hash (zeros for entry 0; the header's `start` for a partial export);
  - every envelope signature and co-signature verifies (Ed25519);
  - every checkpoint is a C2SP signed note whose Ed25519 signature by the ledger key verifies,
    names the ledger's origin, comes right after the entry that completes its size, and carries
    the RFC 9162 root this checker recomputes from the leaves;
  - every exported entry is covered by a checkpoint in the export (unless --partial-ok).
And in a proof file: the checkpoint signature(s), the origin, the sizes, the entry bytes against
the leaf hash, and the inclusion or consistency proof against the signed root(s); with an
export, also that the proof agrees with the roots and leaves recomputed from it.

usage: check_export.py [EXPORT | -] [--key VKEY] [--proof FILE]... [--partial-ok]
                       [--no-envelope-signatures]
       check_export.py --self-test
Exit status: 0 everything holds, 1 something does not verify, 2 usage error or malformed input.
"""

import argparse
import base64
import binascii
import hashlib
import json
import sys

# ---- RFC 8032 section 5.1: Ed25519 verification ---------------------------------------------

_P = 2**255 - 19
_L = 2**252 + 27742317777372353535851937790883648493
_D = (-121665 * pow(121666, _P - 2, _P)) % _P
_SQRT_M1 = pow(2, (_P - 1) // 4, _P)


def _inv(x):
    return pow(x, _P - 2, _P)


def _recover_x(y, sign):
    """5.1.3 steps 2-4: x from y and the sign bit, or None."""
    if y >= _P:
        return None
    u = (y * y - 1) % _P
    v = (_D * y * y + 1) % _P
    x = (u * pow(v, 3, _P) * pow(u * pow(v, 7, _P), (_P - 5) // 8, _P)) % _P
    vxx = (v * x * x) % _P
    if vxx == u:
        pass
    elif vxx == (-u) % _P:
        x = (x * _SQRT_M1) % _P
    else:
        return None
    if x == 0 and sign == 1:
        return None
    if x % 2 != sign:
        x = _P - x
    return x


def _decode_point(s):
    """5.1.3: a 32-byte encoding to extended coordinates (X, Y, Z, T), or None."""
    if len(s) != 32:
        return None
    y = int.from_bytes(s, "little")
    sign = y >> 255
    y &= (1 << 255) - 1
    x = _recover_x(y, sign)
    if x is None:
        return None
    return (x, y, 1, (x * y) % _P)


def _add(p, q):
    """5.1.4: addition in extended homogeneous coordinates (also used for doubling)."""
    x1, y1, z1, t1 = p
    x2, y2, z2, t2 = q
    a = ((y1 - x1) * (y2 - x2)) % _P
    b = ((y1 + x1) * (y2 + x2)) % _P
    c = (t1 * 2 * _D * t2) % _P
    d = (z1 * 2 * z2) % _P
    e, f, g, h = b - a, d - c, d + c, b + a
    return ((e * f) % _P, (g * h) % _P, (f * g) % _P, (e * h) % _P)


def _double(p):
    """5.1.4: doubling, cheaper than adding a point to itself."""
    x1, y1, z1, _ = p
    a = (x1 * x1) % _P
    b = (y1 * y1) % _P
    c = (2 * z1 * z1) % _P
    h = a + b
    e = (h - (x1 + y1) * (x1 + y1)) % _P
    g = a - b
    f = c + g
    return ((e * f) % _P, (g * h) % _P, (f * g) % _P, (e * h) % _P)


_NEUTRAL = (0, 1, 1, 0)


def _mul(k, p):
    result = _NEUTRAL
    while k > 0:
        if k & 1:
            result = _add(result, p)
        p = _double(p)
        k >>= 1
    return result


def _equal(p, q):
    x1, y1, z1, _ = p
    x2, y2, z2, _ = q
    return (x1 * z2 - x2 * z1) % _P == 0 and (y1 * z2 - y2 * z1) % _P == 0


_BY = (4 * _inv(5)) % _P
_B = (_recover_x(_BY, 0), _BY, 1, (_recover_x(_BY, 0) * _BY) % _P)
_B_POWERS = [_B]  # 2^i B: [S]B then costs additions only
for _ in range(255):
    _B_POWERS.append(_double(_B_POWERS[-1]))


def _mul_base(k):
    result = _NEUTRAL
    for i in range(k.bit_length()):
        if k >> i & 1:
            result = _add(result, _B_POWERS[i])
    return result


def ed25519_verify(public_key, message, signature):
    """5.1.7: True when signature (64 bytes) is valid for message under public_key (32 bytes)."""
    if len(public_key) != 32 or len(signature) != 64:
        return False
    a = _decode_point(public_key)
    r = _decode_point(signature[:32])
    if a is None or r is None:
        return False
    s = int.from_bytes(signature[32:], "little")
    if s >= _L:
        return False
    k = int.from_bytes(hashlib.sha512(signature[:32] + public_key + message).digest(), "little")
    # The group equation [8][S]B = [8]R + [8][k]A.
    left = _mul(8, _mul_base(s))
    right = _mul(8, _add(r, _mul(k, a)))
    return _equal(left, right)


# ---- RFC 9162 section 2.1: Merkle trees -----------------------------------------------------

MAX_PROOF_HASHES = 65


def leaf_hash(data):
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


class Frontier:
    """The right edge of an append-only tree: one complete subtree per set bit of its size."""

    def __init__(self):
        self.size = 0
        self.nodes = []  # (level, hash), largest first

    def append(self, leaf):
        self.size += 1
        self.nodes.append((0, leaf))
        while len(self.nodes) >= 2 and self.nodes[-1][0] == self.nodes[-2][0]:
            (level, right), (_, left) = self.nodes.pop(), self.nodes.pop()
            self.nodes.append((level + 1, node_hash(left, right)))

    def root(self):
        if not self.nodes:
            return hashlib.sha256(b"").digest()
        r = self.nodes[-1][1]
        for _, h in reversed(self.nodes[:-1]):
            r = node_hash(h, r)
        return r

    @staticmethod
    def from_last_leaf(size, leaf, path):
        """The frontier of a tree of `size` leaves, from its last leaf and that leaf's inclusion
        path: the first tz(size) hashes are inside the smallest complete subtree, the others
        are the larger subtrees, smallest first. Not trusted by itself: a wrong start cannot
        reproduce any signed root later on."""
        tz = (size & -size).bit_length() - 1
        if len(path) != tz + bin(size).count("1") - 1:
            raise Bad(f"the start of the export has a path of {len(path)} hashes, "
                      f"which cannot be the last leaf's path in a tree of {size}")
        r = leaf
        for p in path[:tz]:
            r = node_hash(p, r)
        levels = [b for b in range(63, -1, -1) if size >> b & 1]
        f = Frontier()
        f.size = size
        f.nodes = list(zip(levels, list(reversed(path[tz:])) + [r]))
        return f


def verify_inclusion(leaf, index, size, path, root):
    """2.1.3.2. Returns None when it holds, else the reason."""
    if index >= size:
        return f"entry {index} cannot be in a tree of {size} entries"
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return "the inclusion path is too long"
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        return "the inclusion path is too short"
    if r != root:
        return f"the inclusion path does not lead from the leaf to the root of the tree of {size}"
    return None


def verify_consistency(size1, size2, proof, root1, root2):
    """2.1.4.2. Returns None when it holds, else the reason."""
    if size1 == 0 or size1 > size2:
        return f"no consistency proof can lead from size {size1} to size {size2}"
    if size1 == size2:
        if proof:
            return "two trees of the same size need an empty consistency proof"
        return None if root1 == root2 else f"two trees of {size1} entries have different roots"
    if not proof:
        return "the consistency proof is empty"
    if size1 & (size1 - 1) == 0:
        proof = [root1] + list(proof)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return "the consistency proof is too long"
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
    if sn != 0:
        return "the consistency proof is too short"
    if fr != root1:
        return f"the consistency proof does not reproduce the root at size {size1}"
    if sr != root2:
        return f"the consistency proof does not reproduce the root at size {size2}"
    return None


# ---- C2SP signed-note and tlog-checkpoint ---------------------------------------------------


class Bad(Exception):
    """Something does not verify (exit 1)."""


class Malformed(Exception):
    """The input cannot be read as what it claims to be (exit 2)."""


def b64decode_strict(text, what):
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise Malformed(f"{what} is not base64") from None
    if base64.b64encode(raw).decode("ascii") != text:
        raise Malformed(f"{what} is not canonical base64")
    return raw


def note_key_id(name, key):
    """C2SP signed-note: SHA-256(name || 0x0A || 0x01 || key)[:4] for Ed25519 keys."""
    return hashlib.sha256(name.encode("utf-8") + b"\n\x01" + key).digest()[:4]


class Verifier:
    def __init__(self, vkey):
        parts = vkey.split("+")
        if len(parts) != 3 or not parts[0] or any(c.isspace() for c in parts[0]):
            raise Malformed(f"{vkey!r} is not a verifier key <name>+<key id>+<key>")
        name, hex_id, b64 = parts
        try:
            key_id = bytes.fromhex(hex_id)
        except ValueError:
            raise Malformed("the verifier key's id is not hex") from None
        raw = b64decode_strict(b64, "the verifier key")
        if len(key_id) != 4 or hex_id != hex_id.lower():
            raise Malformed("the verifier key's id is not 8 lowercase hex digits")
        if len(raw) != 33 or raw[0] != 0x01:
            raise Malformed("the verifier key is not an Ed25519 key (0x01 + 32 bytes)")
        self.name, self.key_id, self.key = name, key_id, raw[1:]
        if note_key_id(name, self.key) != key_id:
            raise Malformed("the verifier key's id does not match its name and key")
        self.text = vkey

    def label(self):
        return f"{self.name}+{self.key_id.hex()}"


def open_note(note, verifier):
    """Returns the text of a signed note when a signature line by verifier verifies."""
    if len(note) > 1024 * 1024:
        raise Bad("the note is over 1 MiB")
    split = note.rfind("\n\n")
    if split < 0:
        raise Bad("the note has no blank line before its signatures")
    text, lines = note[: split + 1], note[split + 2:]
    if not lines.endswith("\n"):
        raise Bad("the note's signature lines do not end in a newline")
    try:
        signed = text.encode("utf-8")
    except UnicodeEncodeError:
        raise Bad("the note is not valid UTF-8") from None
    found = None
    for line in lines[:-1].split("\n"):
        if not line.startswith("\u2014 "):
            raise Bad("a signature line does not start with an em dash and a space")
        name, space, b64 = line[2:].rpartition(" ")
        if not space or not name:
            raise Bad("a signature line has no key name")
        try:
            raw = b64decode_strict(b64, "a note signature")
        except Malformed as e:
            raise Bad(str(e)) from None
        if len(raw) < 5:
            raise Bad("a signature line is too short for a key id and a signature")
        if name == verifier.name and raw[:4] == verifier.key_id:
            if found is not None:
                raise Bad(f"the note has two signatures by {verifier.label()}")
            found = raw[4:]
    if found is None:
        raise Bad(f"the note carries no signature by {verifier.label()}")
    if not ed25519_verify(verifier.key, signed, found):
        raise Bad(f"the note's Ed25519 signature by {verifier.label()} does not verify")
    return text


def parse_checkpoint(text):
    """C2SP tlog-checkpoint body: origin, decimal size, base64 root, optional extensions."""
    lines = text.split("\n")
    if len(lines) < 4 or lines[-1] != "":
        raise Bad("the checkpoint does not have origin, size and root lines")
    origin, size_text, root_text = lines[0], lines[1], lines[2]
    if not origin:
        raise Bad("the checkpoint's origin is empty")
    if not size_text.isdigit() or not size_text.isascii() or (size_text != "0" and size_text[0] == "0"):
        raise Bad(f"the checkpoint's size {size_text!r} is not a decimal number")
    try:
        root = b64decode_strict(root_text, "the checkpoint's root")
    except Malformed as e:
        raise Bad(str(e)) from None
    if len(root) != 32:
        raise Bad("the checkpoint's root is not 32 bytes")
    if any(not extension for extension in lines[3:-1]):
        raise Bad("the checkpoint has an empty extension line")
    return origin, int(size_text), root


def verify_checkpoint(note, verifier, origin):
    if not isinstance(note, str):
        raise Malformed("a checkpoint must be a JSON string")
    size_origin, size, root = parse_checkpoint(open_note(note, verifier))
    if size_origin != origin:
        raise Bad(f"the checkpoint is for the log {size_origin!r}, not {origin!r}")
    return size, root


# ---- JSON input -----------------------------------------------------------------------------


def _no_duplicates(pairs):
    out = {}
    for key, value in pairs:
        if key in out:
            raise Malformed(f"the key {key!r} appears twice in an object")
        out[key] = value
    return out


def _no_constants(name):
    raise Malformed(f"{name} is not JSON")


def load_json(text, what):
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constants)
    except (ValueError, RecursionError) as e:
        raise Malformed(f"{what} is not valid JSON: {e}") from None


def get(obj, key, kind, what, optional=False):
    if key not in obj:
        if optional:
            return None
        raise Malformed(f"{what} has no {key!r} field")
    value = obj[key]
    if kind is int:
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**64:
            raise Malformed(f"{what}'s {key!r} must be a whole number from 0 to 2^64-1")
    elif not isinstance(value, kind):
        raise Malformed(f"{what}'s {key!r} must be a {kind.__name__}")
    return value


def hash_from_hex(text, what):
    if not isinstance(text, str) or len(text) != 64:
        raise Malformed(f"{what} must be 64 hex digits")
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise Malformed(f"{what} must be 64 hex digits") from None


def hash_list(obj, key, what):
    values = get(obj, key, list, what)
    if len(values) > MAX_PROOF_HASHES:
        raise Malformed(f"{what}'s {key!r} has {len(values)} hashes; no proof has more than 65")
    return [hash_from_hex(v, f"{what}'s {key}[{i}]") for i, v in enumerate(values)]


def check_fields(obj, allowed, what):
    for key in obj:
        if key not in allowed:
            raise Malformed(f"{what} has an unknown field {key!r}")


# ---- entries --------------------------------------------------------------------------------


class EntryFields:
    def __init__(self, data, seq_expected, check_signatures):
        """Parses the fixed header of an entry and checks its envelope's signatures."""
        if len(data) < 1 + 8 + 8 + 32 + 4:
            raise Bad(f"entry {seq_expected} is too short to be an entry")
        if data[0] != 1:
            raise Bad(f"entry {seq_expected} has version {data[0]}, not 1")
        self.seq = int.from_bytes(data[1:9], "big")
        self.commit_ms = int.from_bytes(data[9:17], "big", signed=True)
        self.prev_hash = data[17:49]
        at = 49
        n = int.from_bytes(data[at:at + 4], "big")
        at += 4
        envelope = data[at:at + n]
        at += n
        signature = data[at:at + 64]
        at += 64
        if len(envelope) != n or len(signature) != 64 or len(data) < at + 4:
            raise Bad(f"entry {seq_expected}'s signed envelope is cut short")
        count = int.from_bytes(data[at:at + 4], "big")
        at += 4
        if len(data) != at + 96 * count:
            raise Bad(f"entry {seq_expected} does not end after its {count} co-signatures")
        cosignatures = [(data[at + 96 * i:at + 96 * i + 32], data[at + 96 * i + 32:at + 96 * i + 96])
                        for i in range(count)]
        if len(envelope) < 1 + 16 + 32 or envelope[0] != 1:
            raise Bad(f"entry {seq_expected}'s envelope is not a version 1 envelope")
        self.ledger_id = envelope[1:17]
        self.signatures = 0
        if check_signatures:
            if not ed25519_verify(envelope[17:49], envelope, signature):
                raise Bad(f"entry {seq_expected}'s envelope signature does not verify")
            for key, cosignature in cosignatures:
                if not ed25519_verify(key, envelope, cosignature):
                    raise Bad(f"a co-signature of entry {seq_expected} does not verify")
            self.signatures = 1 + count


# ---- the export -----------------------------------------------------------------------------

MAX_LINE_BYTES = 4 * 1024 * 1024


class ExportResult:
    def __init__(self):
        self.origin = None
        self.vkey = None
        self.roots = {}   # size -> recomputed root, for the sizes the proofs name
        self.leaves = {}  # index -> leaf hash, for the entries the proofs name


def check_export(stream, key, partial_ok, check_signatures, wanted_sizes, wanted_leaves):
    out = ExportResult()

    def lines():
        number = 0
        while True:
            raw = stream.readline(MAX_LINE_BYTES + 1)
            if not raw:
                return
            number += 1
            if len(raw) > MAX_LINE_BYTES:
                raise Malformed(f"line {number} of the export is longer than {MAX_LINE_BYTES} bytes")
            if not raw.endswith(b"\n"):
                raise Malformed(f"line {number} of the export does not end in a newline")
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise Malformed(f"line {number} of the export is not UTF-8") from None
            value = load_json(text, f"line {number} of the export")
            if not isinstance(value, dict):
                raise Malformed(f"line {number} of the export is not a JSON object")
            yield number, value

    it = lines()
    first = next(it, None)
    if first is None:
        raise Malformed("the export is empty")
    _, header = first
    what = "the export header"
    check_fields(header, {"origin", "ledger_key", "size", "from", "to", "start"}, what)
    origin = get(header, "origin", str, what)
    verifier = Verifier(get(header, "ledger_key", str, what))
    if key is not None and (key.name, key.key_id, key.key) != (verifier.name, verifier.key_id, verifier.key):
        raise Bad(f"the export names the ledger key {verifier.text}, not the key given, {key.text}")
    size = get(header, "size", int, what)
    first_seq = get(header, "from", int, what)
    last_seq = get(header, "to", int, what)
    if not first_seq <= last_seq < size:
        raise Malformed("the export header's from, to and size do not fit together")
    start = get(header, "start", dict, what, optional=True)
    if first_seq == 0:
        if start is not None:
            raise Malformed("an export from entry 0 has no start")
        frontier, prev = Frontier(), bytes(32)
    else:
        if start is None:
            raise Malformed("an export from a later entry needs a start")
        check_fields(start, {"size", "leaf_hash", "path"}, "the export's start")
        if get(start, "size", int, "the export's start") != first_seq:
            raise Malformed("the export's start is not at its first entry")
        prev = hash_from_hex(get(start, "leaf_hash", str, "the export's start"), "the start's leaf_hash")
        frontier = Frontier.from_last_leaf(first_seq, prev, hash_list(start, "path", "the export's start"))
    out.origin, out.vkey = origin, verifier

    next_seq = first_seq
    last_commit = None
    ledger_id = None
    checkpoints = 0
    signatures = 0
    anchored = first_seq  # entries below this size are covered by a verified checkpoint
    if frontier.size in wanted_sizes:
        out.roots[frontier.size] = frontier.root()
    for number, obj in it:
        where = f"line {number}"
        if "checkpoint" in obj:
            check_fields(obj, {"checkpoint"}, where)
            cp_size, cp_root = verify_checkpoint(obj["checkpoint"], verifier, origin)
            if cp_size != frontier.size or next_seq == first_seq:
                raise Bad(f"{where}: the checkpoint for size {cp_size} is not right after entry {cp_size - 1}")
            if cp_root != frontier.root():
                raise Bad(f"{where}: the checkpoint for size {cp_size} is signed, but the entries "
                          f"up to {cp_size - 1} have another root: an entry was altered, added or removed")
            checkpoints += 1
            anchored = cp_size
            continue
        check_fields(obj, {"seq", "entry", "leaf_hash"}, where)
        seq = get(obj, "seq", int, where)
        if seq != next_seq:
            raise Bad(f"{where}: entry {seq} where entry {next_seq} should be: entries are missing or out of order")
        if seq > last_seq:
            raise Bad(f"{where}: entry {seq} is past the header's last entry {last_seq}")
        data = b64decode_strict(get(obj, "entry", str, where), f"{where}'s entry")
        leaf = leaf_hash(data)
        if leaf != hash_from_hex(get(obj, "leaf_hash", str, where), f"{where}'s leaf_hash"):
            raise Bad(f"entry {seq}'s bytes do not hash to its leaf_hash")
        fields = EntryFields(data, seq, check_signatures)
        if fields.seq != seq:
            raise Bad(f"the entry exported as {seq} says it is entry {fields.seq}")
        if fields.prev_hash != prev:
            raise Bad(f"entry {seq}'s prev_hash is not the leaf hash of entry {seq - 1}: the chain is broken")
        if last_commit is not None and fields.commit_ms < last_commit:
            raise Bad(f"entry {seq} was committed before entry {seq - 1}")
        if ledger_id is not None and fields.ledger_id != ledger_id:
            raise Bad(f"entry {seq}'s envelope is for another ledger")
        ledger_id, last_commit, prev = fields.ledger_id, fields.commit_ms, leaf
        signatures += fields.signatures
        frontier.append(leaf)
        if seq in wanted_leaves:
            out.leaves[seq] = leaf
        if frontier.size in wanted_sizes:
            out.roots[frontier.size] = frontier.root()
        next_seq += 1
    if next_seq != last_seq + 1:
        raise Bad(f"the export ends after entry {next_seq - 1}, but its header promises entries up to {last_seq}")
    covered = f"entries {first_seq} to {anchored - 1}" if anchored > first_seq else "no entry"
    print(f"export of {origin}: entries {first_seq} to {last_seq} of {size}; "
          f"{checkpoints} checkpoints verified (signature and recomputed root), "
          f"{signatures} envelope signatures verified; {covered} covered by a signed checkpoint")
    if anchored <= last_seq and not partial_ok:
        raise Bad(f"entries {anchored} to {last_seq} are not covered by any checkpoint in the export, "
                  "so nothing signed vouches for them; export up to a size that has a checkpoint, "
                  "or pass --partial-ok")
    return out


# ---- proofs ---------------------------------------------------------------------------------

MAX_PROOF_BYTES = 16 * 1024 * 1024


def read_proof(path):
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_PROOF_BYTES + 1)
    except OSError as e:
        raise Malformed(f"cannot read {path}: {e.strerror}") from None
    if len(raw) > MAX_PROOF_BYTES:
        raise Malformed(f"{path} is larger than 16 MiB")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Malformed(f"{path} is not UTF-8") from None
    proof = load_json(text, path)
    if not isinstance(proof, dict):
        raise Malformed(f"{path} is not a JSON object")
    kind = proof.get("kind")
    if kind is None:
        kind = "inclusion" if "index" in proof else "consistency" if "size1" in proof else None
    if kind == "inclusion":
        check_fields(proof, {"kind", "origin", "index", "size", "leaf_hash", "entry", "path", "checkpoint"}, path)
    elif kind == "consistency":
        check_fields(proof, {"kind", "origin", "size1", "size2", "proof", "checkpoint1", "checkpoint2"}, path)
    else:
        raise Malformed(f"{path} is neither an inclusion nor a consistency proof")
    proof["kind"] = kind
    return proof


def check_proof(path, proof, verifier, export):
    what = path
    origin = get(proof, "origin", str, what, optional=True)
    if origin is not None and origin != verifier.name:
        raise Bad(f"{path} names the log {origin!r}, but the key is {verifier.name!r}'s")
    if proof["kind"] == "inclusion":
        index = get(proof, "index", int, what)
        size = get(proof, "size", int, what)
        leaf = hash_from_hex(get(proof, "leaf_hash", str, what), f"{what}'s leaf_hash")
        path_hashes = hash_list(proof, "path", what)
        cp_size, root = verify_checkpoint(get(proof, "checkpoint", str, what), verifier, verifier.name)
        if cp_size != size:
            raise Bad(f"{path}: the checkpoint is for size {cp_size}, the proof for size {size}")
        entry = get(proof, "entry", str, what, optional=True)
        if entry is not None:
            data = b64decode_strict(entry, f"{what}'s entry")
            if leaf_hash(data) != leaf:
                raise Bad(f"{path}: the entry bytes do not hash to the leaf_hash")
            if EntryFields(data, index, True).seq != index:
                raise Bad(f"{path}: the entry is not entry {index}")
        reason = verify_inclusion(leaf, index, size, path_hashes, root)
        if reason:
            raise Bad(f"{path}: {reason}")
        if export is not None:
            if size in export.roots and export.roots[size] != root:
                raise Bad(f"{path}: the signed root at size {size} is not the export's")
            if index in export.leaves and export.leaves[index] != leaf:
                raise Bad(f"{path}: entry {index}'s leaf hash is not the export's")
        print(f"{path}: entry {index} is included in {verifier.name} at size {size} (signed by {verifier.label()})")
    else:
        size1 = get(proof, "size1", int, what)
        size2 = get(proof, "size2", int, what)
        hashes = hash_list(proof, "proof", what)
        s1, root1 = verify_checkpoint(get(proof, "checkpoint1", str, what), verifier, verifier.name)
        s2, root2 = verify_checkpoint(get(proof, "checkpoint2", str, what), verifier, verifier.name)
        if (s1, s2) != (size1, size2):
            raise Bad(f"{path}: the checkpoints are for sizes {s1} and {s2}, the proof for {size1} and {size2}")
        reason = verify_consistency(size1, size2, hashes, root1, root2)
        if reason:
            raise Bad(f"{path}: {reason}")
        if export is not None:
            for s, r in ((size1, root1), (size2, root2)):
                if s in export.roots and export.roots[s] != r:
                    raise Bad(f"{path}: the signed root at size {s} is not the export's")
        print(f"{path}: {verifier.name} at size {size2} is consistent with size {size1} (signed by {verifier.label()})")


# ---- self test ------------------------------------------------------------------------------


def _reference_mth(leaves):
    """RFC 9162 2.1.1, literally."""
    n = len(leaves)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return leaves[0]
    k = 1 << ((n - 1).bit_length() - 1)
    return node_hash(_reference_mth(leaves[:k]), _reference_mth(leaves[k:]))


def _reference_path(m, leaves):
    """RFC 9162 2.1.3.1, literally."""
    n = len(leaves)
    if n == 1:
        return []
    k = 1 << ((n - 1).bit_length() - 1)
    if m < k:
        return _reference_path(m, leaves[:k]) + [_reference_mth(leaves[k:])]
    return _reference_path(m - k, leaves[k:]) + [_reference_mth(leaves[:k])]


def _reference_subproof(m, leaves, b):
    """RFC 9162 2.1.4.1, literally."""
    n = len(leaves)
    if m == n:
        return [] if b else [_reference_mth(leaves)]
    k = 1 << ((n - 1).bit_length() - 1)
    if m <= k:
        return _reference_subproof(m, leaves[:k], b) + [_reference_mth(leaves[k:])]
    return _reference_subproof(m - k, leaves[k:], False) + [_reference_mth(leaves[:k])]


def self_test():
    # RFC 8032 section 7.1, TEST 1 to 3.
    vectors = [
        ("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
         "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"),
        ("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
         "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"),
        ("fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
         "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"),
    ]
    for number, (pub, msg, sig) in enumerate(vectors, 1):
        pub, msg, sig = bytes.fromhex(pub), bytes.fromhex(msg), bytes.fromhex(sig)
        assert ed25519_verify(pub, msg, sig), f"RFC 8032 TEST {number} does not verify"
        assert not ed25519_verify(pub, msg + b"x", sig), f"TEST {number} verifies another message"
        bad = bytearray(sig)
        bad[5] ^= 1
        assert not ed25519_verify(pub, msg, bytes(bad)), f"TEST {number} verifies a flipped R"
        bad = bytearray(sig)
        bad[40] ^= 1
        assert not ed25519_verify(pub, msg, bytes(bad)), f"TEST {number} verifies a flipped S"
        s_plus_l = (int.from_bytes(sig[32:], "little") + _L).to_bytes(32, "little")
        assert not ed25519_verify(pub, msg, sig[:32] + s_plus_l), f"TEST {number} accepts S >= L"

    for k in (1, 2, 3, 8, _L - 1, _L, 2**255 - 1):
        assert _equal(_mul_base(k), _mul(k, _B)), "fixed-base and generic multiplication disagree"
    assert _equal(_mul(_L, _B), _NEUTRAL), "B does not have order L"

    # C2SP signed-note, section "Verifier keys", example.
    foo = Verifier("example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k")
    note = ("This is an example message.\n\n\u2014 example.com/foo "
            "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n")
    assert open_note(note, foo) == "This is an example message.\n"
    for forged in (note.replace("example message", "exampel message"), note.replace("Uw2QOkn8", "Uw2QOkn9")):
        try:
            open_note(forged, foo)
            raise AssertionError("an altered note verifies")
        except Bad:
            pass

    # RFC 9162 2.1: every inclusion and consistency proof of trees of 1..40 leaves, made by the
    # RFC's own recursive definitions, verifies; altered ones do not.
    leaves = [leaf_hash(bytes([i])) for i in range(40)]
    frontier = Frontier()
    for n in range(1, 41):
        frontier.append(leaves[n - 1])
        root = _reference_mth(leaves[:n])
        assert frontier.root() == root, f"frontier root of {n}"
        for m in range(n):
            path = _reference_path(m, leaves[:n])
            assert verify_inclusion(leaves[m], m, n, path, root) is None, f"inclusion {m} of {n}"
            if path:
                bad = list(path)
                bad[-1] = hashlib.sha256(b"not in the tree").digest()
                assert verify_inclusion(leaves[m], m, n, bad, root) is not None
            assert verify_inclusion(leaves[m], m, n, path + [root], root) is not None
            if m + 1 == n:
                rebuilt = Frontier.from_last_leaf(n, leaves[m], path)
                assert rebuilt.root() == root and rebuilt.nodes == frontier.nodes, f"start of {n}"
        for m in range(1, n + 1):
            proof = _reference_subproof(m, leaves[:n], True)
            old = _reference_mth(leaves[:m])
            assert verify_consistency(m, n, proof, old, root) is None, f"consistency {m} to {n}"
            if proof:
                bad = list(proof)
                bad[0] = hashlib.sha256(b"not in the tree").digest()
                assert verify_consistency(m, n, bad, old, root) is not None
            if m < n:
                assert verify_consistency(m, n, proof, hashlib.sha256(b"other").digest(), root) is not None
    print("self test passed: RFC 8032 vectors, the C2SP note example, RFC 9162 proofs for 1..40 leaves")


# ---- main -----------------------------------------------------------------------------------


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("export", nargs="?", help="the output of passbook export (- for stdin)")
    parser.add_argument("--key", help="the ledger's verifier key; default: the export's own")
    parser.add_argument("--proof", action="append", default=[], help="a passbook prove output")
    parser.add_argument("--partial-ok", action="store_true",
                        help="accept exported entries that no checkpoint in the export covers")
    parser.add_argument("--no-envelope-signatures", action="store_true",
                        help="skip the Ed25519 checks of envelope signatures (they are slow in Python)")
    parser.add_argument("--self-test", action="store_true")
    args = parser.parse_args(argv)
    try:
        if args.self_test:
            self_test()
            return 0
        if args.export is None and not args.proof:
            parser.error("name an export, a --proof, or both")
        key = Verifier(args.key) if args.key else None
        proofs = [(path, read_proof(path)) for path in args.proof]
        export = None
        if args.export is not None:
            wanted_sizes, wanted_leaves = set(), set()
            for _, proof in proofs:
                for field in ("size", "size1", "size2"):
                    if isinstance(proof.get(field), int):
                        wanted_sizes.add(proof[field])
                if isinstance(proof.get("index"), int):
                    wanted_leaves.add(proof["index"])
            stream = sys.stdin.buffer if args.export == "-" else None
            try:
                if stream is None:
                    stream = open(args.export, "rb")
            except OSError as e:
                raise Malformed(f"cannot read {args.export}: {e.strerror}") from None
            with stream:
                export = check_export(stream, key, args.partial_ok, not args.no_envelope_signatures,
                                      wanted_sizes, wanted_leaves)
            if key is None:
                print(f"note: the key was taken from the export itself ({export.vkey.text}); "
                      "pass --key to check it against the key you trust")
        verifier = key or (export.vkey if export else None)
        if proofs and verifier is None:
            raise Malformed("checking a proof alone needs --key")
        for path, proof in proofs:
            check_proof(path, proof, verifier, export)
    except Malformed as e:
        print(f"check_export: malformed input: {e}", file=sys.stderr)
        return 2
    except Bad as e:
        print(f"check_export: FAILED: {e}", file=sys.stderr)
        return 1
    print("check_export: everything holds")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
