#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (tests/fuzz/corpus/<target>/) from the golden
vectors and proof probes in tests/data, plus protocol messages built here by the rules of
schemas/FORMAT.md. Deterministic: run it again after a format change and commit the result.

    tests/fuzz/make_seeds.py            # rewrite every corpus
    tests/fuzz/make_seeds.py --check    # exit 1 if the committed corpora differ from a fresh run

Inputs that fuzzing discovers are not kept here (scripts/fuzz.sh works in build/fuzz/work);
inputs that broke a target go to tests/fuzz/regressions/<target>/.
"""
import hashlib
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "data")
GOLDEN = os.path.join(DATA, "golden")


def golden(name):
    with open(os.path.join(GOLDEN, name), encoding="utf-8") as f:
        return bytes.fromhex("".join(line.split("#", 1)[0] for line in f).replace(" ", ""))


def golden_text(name):
    with open(os.path.join(GOLDEN, name), "rb") as f:
        return f.read()


# ---- the wire format (schemas/FORMAT.md) ------------------------------------------------------
def u8(v): return struct.pack(">B", v)
def u16(v): return struct.pack(">H", v)
def u32(v): return struct.pack(">I", v)
def u64(v): return struct.pack(">Q", v)
def i32(v): return struct.pack(">i", v)
def i64(v): return struct.pack(">q", v)
def text(s): b = s.encode() if isinstance(s, str) else s; return u32(len(b)) + b
blob = text
def lst(items): return u32(len(items)) + b"".join(items)
def opt(v): return b"\x00" if v is None else b"\x01" + v
def h32(seed): return hashlib.sha256(seed.encode()).digest()


KEY = bytes.fromhex("db995fe25169d141cab9bbba92baa01f9f2e1ece7df4cb2ac05190f37fcc1f9d")
VKEY = golden_text("ledger.vkey").strip()
NOTE = golden_text("checkpoint.note")
ENTRY = golden("entry.hex")
GENESIS_ENTRY = golden("genesis_entry.hex")
SIGNED = golden("signed_envelope.hex")
OP_CREDIT = golden("op_credit.hex")
RECEIPT = golden("receipt.hex")
ERROR = golden("error_reply.hex")

ledger_info = (b"\x5a" * 16 + text("passbook.example/yanshan") + KEY + text(VKEY) + u64(2) + h32("root") +
               i64(1793496601250) + i32(480))
account_view = u8(ord("v")) + text("yzs3-0042") + text("yzs-3") + i64(120) + i64(30) + u32(1) + u64(3) + u64(9)
history_line = u64(1) + u32(0) + i64(1793496601250) + i64(18) + i64(18) + KEY + OP_CREDIT
actor_view = KEY + u8(2) + text("yzs-3") + text("第三网格党支部 书记") + u64(1) + opt(u64(7))
rule_view = text("") + text("elder-visit") + u32(12) + u32(180) + u64(1)
reward_view = (text("shop") + text("dumplings") + text("一盘饺子") + i64(40) + i64(-1) + u32(1) + u8(2) +
               u8(1) + i64(3))
claim_view = (u64(5) + u32(0) + text("v1") + text("b1") + text("elder-visit") + u32(90) + u32(20261101) +
              i64(18) + KEY + u8(1) + opt(u64(6)))
reservation_view = (u64(8) + u32(1) + text("v1") + text("shop") + text("dumplings") + u32(2) + i64(80) + u8(0) +
                    opt(None))
receipt_proof = blob(ENTRY) + blob(NOTE) + lst([h32("sibling")]) + lst([])


def page(rows, total=None):
    return lst(rows) + u32(len(rows) if total is None else total)


# ---- requests and replies, by message type ------------------------------------------------------
list_request = text("") + u32(0) + u32(10000)
REQUESTS = {
    1: ("hello", u32(0x50424B31) + u16(1) + text("passbook-cli 0.1")),
    2: ("authenticate", KEY + b"\x07" * 64),
    3: ("submit", SIGNED + u8(1) + u64(1)),
    4: ("get_info", b""),
    5: ("get_account", u8(ord("v")) + text("v1")),
    6: ("get_history", u8(ord("v")) + text("v1") + u32(0) + u32(100)),
    7: ("get_entries", u64(0) + u32(1000)),
    8: ("get_checkpoint", u64(0)),
    9: ("get_inclusion_proof", u64(1) + u64(5)),
    10: ("get_consistency_proof", u64(2) + u64(7)),
    11: ("list_rewards", text("shop") + u32(0) + u32(10)),
    12: ("list_actors", list_request),
    13: ("list_rules", list_request),
    14: ("list_accounts", text("b1") + u32(1) + u32(2)),
    15: ("list_claims", list_request),
    16: ("list_reservations", text("shop") + u32(0) + u32(10000)),
}
REPLIES = {
    1: ("hello_reply", u16(1) + b"\x5a" * 16 + text("passbook.example/yanshan") + text(VKEY) + b"\x33" * 32 + u32(64)),
    2: ("authenticate_reply", u8(2) + text("yzs-3") + text("secretary")),
    3: ("submit_reply", RECEIPT + u8(0) + opt(receipt_proof)),
    4: ("ledger_info", ledger_info),
    5: ("account_view", account_view),
    6: ("history_page", page([history_line], 7)),
    7: ("entries_page", lst([blob(GENESIS_ENTRY), blob(ENTRY)])),
    8: ("checkpoint_reply", blob(NOTE)),
    9: ("inclusion_reply", lst([h32("a"), h32("b"), h32("c")])),
    10: ("consistency_reply", lst([h32("d")])),
    11: ("rewards_page", page([reward_view])),
    12: ("actors_page", page([actor_view, actor_view])),
    13: ("rules_page", page([rule_view])),
    14: ("accounts_page", page([account_view])),
    15: ("claims_page", page([claim_view])),
    16: ("reservations_page", page([reservation_view])),
}


def frame(msg_type, request_id, body):
    return u32(len(body) + 5) + u8(msg_type) + u32(request_id) + body


def fuzz_frame():
    seeds = {}
    for t, (name, body) in REQUESTS.items():
        seeds["request_" + name] = frame(t, t, body)
    for t, (name, body) in REPLIES.items():
        seeds["reply_" + name] = frame(t | 0x80, t, body)
    seeds["reply_error"] = frame(0xFF, 9, ERROR)
    seeds["reply_error_whole_envelope"] = frame(0xFF, 0, golden("error_reply_whole_envelope.hex"))
    # A whole session from the client's side, and one from the server's.
    seeds["session_requests"] = b"".join(frame(t, i + 1, REQUESTS[t][1]) for i, t in enumerate([1, 2, 4, 3, 7, 8, 9]))
    seeds["session_replies"] = b"".join(frame(t | 0x80, i + 1, REPLIES[t][1]) for i, t in enumerate([1, 2, 4, 3, 7]))
    seeds["oversize_length"] = u32(0xFFFFFFFF) + u8(3) + u32(1)
    seeds["short_length"] = u32(4) + u8(3) + u32(1)
    seeds["truncated_body"] = frame(3, 1, SIGNED)[:40]
    return seeds


def fuzz_record():
    seeds = {
        "envelope": u8(0) + golden("envelope.hex"),
        "signed_envelope": u8(1) + SIGNED,
        "entry": u8(2) + ENTRY,
        "genesis_entry": u8(2) + GENESIS_ENTRY,
        "receipt": u8(3) + RECEIPT,
        "error_reply": u8(4) + ERROR,
        "error_reply_whole_envelope": u8(4) + golden("error_reply_whole_envelope.hex"),
        "ledger_info": u8(6) + ledger_info,
        "account_view": u8(7) + account_view,
        "history_line": u8(8) + history_line,
        "actor_view": u8(9) + actor_view,
        "rule_view": u8(10) + rule_view,
        "reward_view": u8(11) + reward_view,
        "claim_view": u8(12) + claim_view,
        "reservation_view": u8(13) + reservation_view,
        "receipt_proof": u8(14) + receipt_proof,
    }
    for name in sorted(os.listdir(GOLDEN)):
        if name.startswith("op_") and name.endswith(".hex"):
            seeds[name[:-4]] = u8(5) + golden(name)
    return seeds


def fuzz_note():
    body = NOTE[: NOTE.index(b"\n\n") + 1]
    sig_line = NOTE[NOTE.index(b"\n\n") + 2:]
    other = "— other.example/witness ".encode() + b"AAAAAQ" + b"A" * 86 + b"==\n"
    return {
        "golden_note": NOTE,
        "golden_vkey": VKEY,
        "golden_checkpoint_text": body,
        "checkpoint_with_extensions": body + b"extension one\n\xe7\xac\xac\xe4\xba\x8c\n",
        "note_two_signatures": body + b"\n" + other + sig_line,
        "note_same_key_twice": body + b"\n" + sig_line + sig_line,
        "note_no_signature": body + b"\n",
        "vkey_plus_in_key": b"a+b3c4d5e6+AZJzCPU9Z2VQPStkwQOrWqRyBqs5UCz+j5hEL9tUMQC3",
        "max_size": b"passbook.example/yanshan\n18446744073709551615\n" + body.split(b"\n")[2] + b"\n",
    }


def fuzz_merkle():
    seeds = {}
    for kind, mode in (("inclusion", 0), ("consistency", 1)):
        with open(os.path.join(DATA, "proof", "tdev_%s_probes.txt" % kind), encoding="utf-8") as f:
            for line in f:
                if line.startswith("#") or not line.strip():
                    continue
                fields = line.split()
                name, _want, a, b = fields[:4]
                hashes = [bytes.fromhex(x) if x != "-" else b"" for x in fields[4:]]
                if any(len(h) != 32 for h in hashes[:2]):
                    continue  # the library takes fixed-size hashes; such probes do not translate
                # mode, then (index, size) or (size1, size2), then leaf/root or root1/root2, then the path
                first, second = (int(a), int(b))
                if kind == "inclusion":
                    seed = u8(mode) + u64(first) + u64(second) + hashes[0] + hashes[1]
                else:
                    seed = u8(mode) + u64(first) + u64(second) + hashes[0] + hashes[1]
                seed += b"".join(h for h in hashes[2:] if len(h) == 32)
                seeds["%s_%s" % (kind, name.replace("/", "_"))] = seed
    for size in (1, 2, 3, 7, 8, 1000, 2**32 + 1, 2**63, 2**64 - 1):
        seeds["sparse_%d" % size] = u8(2) + u64(size) + u8(3) + u64(0) + u8(1) + u64(size // 2) + u8(2) + \
            u64(size - 1) + u8(3) + u64(size // 3) + u64(size // 5) + u8(7) + u8(200)
    for n in (1, 5, 64, 199):
        seeds["frontier_%d" % n] = u8(3) + u16(n - 1) + u8(9) + u64(n // 2) + u64(n // 3) + u64(n // 4) + u8(1) + u8(77)
    return seeds


def fuzz_text():
    return {
        "ascii": u8(64) + b"passbook.example/yanshan elder visit",
        "chinese": u8(10) + "第三网格党支部 书记".encode(),
        "chinese_long_limit": u8(255) + "红色存折：一盘饺子".encode(),
        "controls": u8(32) + b"tab\there\x7f\xc2\x85nel",
        "overlong": u8(16) + b"\xc0\xaf\xe0\x80\xaf\xf0\x80\x80\xaf",
        "surrogate": u8(16) + b"\xed\xa0\x80\xed\xbf\xbf",
        "max_code_point": u8(16) + b"\xf4\x8f\xbf\xbf\xf4\x90\x80\x80",
        "truncated": u8(3) + "存折".encode()[:-1],
        "emoji": u8(5) + "🙂🙂".encode(),
    }


def fuzz_encoding():
    root64 = NOTE.split(b"\n")[2]
    return {
        "hex_lower": KEY.hex().encode(),
        "hex_upper": KEY.hex().upper().encode(),
        "hex_odd": b"abc",
        "base64_root": root64,
        "base64_vkey_key": VKEY.split(b"+", 2)[2],
        "base64_padding": b"QQ==",
        "base64_noncanonical": b"QR==",
        "base64_bad_padding": b"Q===",
        "bytes": bytes(range(256)),
    }


def request(who, msg_type, body):
    return u8(who) + u8(msg_type) + body


def fuzz_request():
    # who: 0 admin, 1 auditor, 2 branch b1, 3 branch b2, 4 merchant shop, 5 volunteer v1,
    # 6 a revoked key, 7 an unknown key (tests/fuzz/fuzz_request.cpp)
    seeds = {}
    for t, (name, body) in REQUESTS.items():
        if t in (1, 2, 3):
            continue  # answered by the session, not by handle_request
        for who in (0, 2, 4, 5):
            seeds["%s_as_%d" % (name, who)] = request(who, t, body)
    seeds["get_account_v2_as_branch"] = request(2, 5, u8(ord("v")) + text("v2"))
    seeds["get_account_w1_as_branch1"] = request(2, 5, u8(ord("v")) + text("w1"))
    seeds["get_account_shop"] = request(4, 5, u8(ord("m")) + text("shop"))
    seeds["get_account_b1"] = request(2, 5, u8(ord("b")) + text("b1"))
    seeds["get_account_held"] = request(1, 5, u8(ord("s")) + text("held"))
    seeds["get_history_b2"] = request(3, 6, u8(ord("b")) + text("b2") + u32(0) + u32(5))
    seeds["get_entries_middle"] = request(1, 7, u64(3) + u32(2))
    seeds["get_checkpoint_5"] = request(1, 8, u64(5))
    seeds["inclusion_last"] = request(1, 9, u64(11) + u64(12))
    seeds["consistency_same"] = request(1, 10, u64(4) + u64(4))
    seeds["list_claims_b2"] = request(3, 15, text("b2") + u32(0) + u32(5))
    seeds["revoked"] = request(6, 4, b"")
    seeds["unknown"] = request(7, 12, list_request)
    seeds["hello_to_handler"] = request(0, 1, REQUESTS[1][1])
    return seeds


TARGETS = {
    "fuzz_frame": fuzz_frame,
    "fuzz_record": fuzz_record,
    "fuzz_note": fuzz_note,
    "fuzz_merkle": fuzz_merkle,
    "fuzz_text": fuzz_text,
    "fuzz_encoding": fuzz_encoding,
    "fuzz_request": fuzz_request,
}


def main():
    check = "--check" in sys.argv[1:]
    differ = []
    for target, make in TARGETS.items():
        directory = os.path.join(HERE, "corpus", target)
        os.makedirs(directory, exist_ok=True)
        seeds = make()
        present = set(os.listdir(directory))
        for name, data in sorted(seeds.items()):
            path = os.path.join(directory, name)
            if check:
                if name not in present or open(path, "rb").read() != data:
                    differ.append(path)
            else:
                with open(path, "wb") as f:
                    f.write(data)
        for stale in sorted(present - set(seeds)):
            if check:
                differ.append(os.path.join(directory, stale))
            else:
                os.remove(os.path.join(directory, stale))
        if not check:
            print("%-14s %3d seeds" % (target, len(seeds)))
    if check and differ:
        print("the seed corpora differ from tests/fuzz/make_seeds.py; run it and commit the result:")
        for path in differ:
            print("  " + os.path.relpath(path))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
