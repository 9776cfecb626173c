#!/usr/bin/env python3
"""Drives check_export.py against the real passbook executable (CTest cli.check_export_*).

  export_roundtrip.py --passbook BIN accept
      demo -> export (whole, and a range) -> prove (both kinds) -> check_export.py: every run
      must succeed, so an independent implementation accepts our export and proofs as they are.
  export_roundtrip.py --passbook BIN tamper
      the same export and proofs, each altered in one way; check_export.py must refuse every one
      with exit status 1 and name the problem. The untouched files must pass first, so that a
      checker which refuses everything cannot pass this test.
"""

import argparse
import base64
import copy
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
CHECKER = os.path.join(HERE, "check_export.py")


def run(cmd, **kwargs):
    return subprocess.run(cmd, capture_output=True, text=True, **kwargs)


def must(cmd):
    r = run(cmd)
    if r.returncode != 0:
        sys.exit(f"FAILED: {' '.join(cmd)} exited {r.returncode}\n{r.stdout}{r.stderr}")
    return r.stdout


def checker(args):
    return run([sys.executable, CHECKER] + args)


def write(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


class Ledger:
    def __init__(self, passbook, work):
        self.passbook = passbook
        self.data = os.path.join(work, "ledger")
        self.work = work
        must([passbook, "demo", "--volunteers", "30", "--branches", "2", "--months", "1", "--data", self.data])
        info = must([passbook, "info", "--data", self.data])
        self.vkey = next(l.split()[-1] for l in info.splitlines() if l.startswith("verifier key"))
        self.export_text = must([passbook, "export", "--data", self.data])
        self.lines = [json.loads(l) for l in self.export_text.splitlines()]
        self.size = self.lines[0]["size"]
        self.checkpoint_sizes = [int(l["checkpoint"].split("\n")[1]) for l in self.lines if "checkpoint" in l]

    def path(self, name):
        return os.path.join(self.work, name)

    def prove(self, name, *args):
        text = must([self.passbook, "prove", "--data", self.data] + [str(a) for a in args])
        write(self.path(name), text)
        return self.path(name)


def accept(ledger):
    sizes = ledger.checkpoint_sizes
    export = ledger.path("export.jsonl")
    write(export, ledger.export_text)
    proofs = [
        ledger.prove("inclusion-0.json", "--seq", 0),
        ledger.prove("inclusion-42.json", "--seq", 42, "--size", sizes[len(sizes) // 2]),
        ledger.prove("inclusion-last.json", "--seq", ledger.size - 1),
        ledger.prove("consistency-a.json", "--from", sizes[1], "--to", sizes[-2]),
        ledger.prove("consistency-b.json", "--from", sizes[len(sizes) // 3]),
        ledger.prove("consistency-same.json", "--from", sizes[4], "--to", sizes[4]),
    ]
    runs = [
        ["--key", ledger.vkey, export] + sum((["--proof", p] for p in proofs), []),
        ["--key", ledger.vkey] + sum((["--proof", p] for p in proofs), []),  # proofs alone
    ]
    # A range that starts mid-ledger and ends on a checkpoint, so that all of it is anchored.
    end = sizes[len(sizes) * 2 // 3]
    part = ledger.path("part.jsonl")
    write(part, must([ledger.passbook, "export", "--data", ledger.data, "--from", "37", "--to", str(end - 1)]))
    runs.append(["--key", ledger.vkey, part])
    for args in runs:
        r = checker(args)
        print(r.stdout, end="")
        if r.returncode != 0:
            sys.exit(f"FAILED: check_export.py {' '.join(args)} exited {r.returncode}\n{r.stderr}")
        if "check_export: everything holds" not in r.stdout:
            sys.exit("FAILED: check_export.py did not say that everything holds")
    print("accepted: the whole export, a range, and", len(proofs), "proofs")


def leaf_hex(data):
    return hashlib.sha256(b"\x00" + data).hexdigest()


def tamper(ledger):
    export = ledger.path("export.jsonl")
    write(export, ledger.export_text)
    inclusion = ledger.prove("inclusion.json", "--seq", 42)
    sizes = ledger.checkpoint_sizes
    consistency = ledger.prove("consistency.json", "--from", sizes[2], "--to", sizes[-3])
    base = checker(["--key", ledger.vkey, export, "--proof", inclusion, "--proof", consistency])
    if base.returncode != 0:
        sys.exit(f"FAILED: the untouched export and proofs do not pass:\n{base.stdout}{base.stderr}")

    lines = ledger.lines
    entry_at = {l["seq"]: i for i, l in enumerate(lines) if "seq" in l and "entry" in l}
    last_seq = max(entry_at)

    def altered_entry(seq, offset, recompute_leaf=True):
        out = copy.deepcopy(lines)
        data = bytearray(base64.b64decode(out[entry_at[seq]]["entry"]))
        data[offset if offset >= 0 else len(data) + offset] ^= 0x01
        out[entry_at[seq]]["entry"] = base64.b64encode(bytes(data)).decode()
        if recompute_leaf:
            out[entry_at[seq]]["leaf_hash"] = leaf_hex(bytes(data))
        return out

    def later_commit_time(seq):
        out = copy.deepcopy(lines)
        data = bytearray(base64.b64decode(out[entry_at[seq]]["entry"]))
        commit_ms = int.from_bytes(data[9:17], "big") + 1
        data[9:17] = commit_ms.to_bytes(8, "big")
        out[entry_at[seq]]["entry"] = base64.b64encode(bytes(data)).decode()
        out[entry_at[seq]]["leaf_hash"] = leaf_hex(bytes(data))
        return out

    def flipped_note_signature(note):
        head, _, b64 = note[:-1].rpartition(" ")
        raw = bytearray(base64.b64decode(b64))
        raw[10] ^= 0x01
        return head + " " + base64.b64encode(bytes(raw)).decode() + "\n"

    last_checkpoint = max(i for i, l in enumerate(lines) if "checkpoint" in l)
    middle_checkpoint = [i for i, l in enumerate(lines) if "checkpoint" in l][len(sizes) // 2]

    def with_line(index, value):
        out = copy.deepcopy(lines)
        out[index] = value
        return out

    def without(index):
        return [l for i, l in enumerate(lines) if i != index]

    def root_replaced(note):
        parts = note.split("\n")
        parts[2] = base64.b64encode(hashlib.sha256(b"another history").digest()).decode()
        return "\n".join(parts)

    other_key = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
    export_cases = [
        ("a middle entry altered, its leaf hash recomputed", altered_entry(100, 30), None, "chain is broken"),
        ("a middle entry altered, leaf hash kept", altered_entry(100, 30, False), None, "do not hash to its leaf_hash"),
        ("the last entry's envelope altered", altered_entry(last_seq, 60), None, "signature does not verify"),
        ("the last entry's envelope signature altered", altered_entry(last_seq, -10), None, "does not verify"),
        ("the last entry's commit time moved on by 1 ms", later_commit_time(last_seq), None, "another root"),
        ("an entry removed", without(entry_at[120]), None, "missing or out of order"),
        ("the last entry and checkpoint cut off", lines[:entry_at[last_seq]], None, "promises entries up to"),
        ("a checkpoint signature flipped",
         with_line(middle_checkpoint, {"checkpoint": flipped_note_signature(lines[middle_checkpoint]["checkpoint"])}),
         [], "does not verify"),
        ("a checkpoint's root replaced under its signature",
         with_line(last_checkpoint, {"checkpoint": root_replaced(lines[last_checkpoint]["checkpoint"])}),
         [], "does not verify"),
        ("a checkpoint moved before its entry",
         lines[:entry_at[last_seq]] + [lines[last_checkpoint], lines[entry_at[last_seq]]], None, "not right after"),
        ("the header names another key", with_line(0, dict(lines[0], ledger_key=other_key)), None, "not the key given"),
        ("a wrong key given", lines, ["--key", other_key], "not the key given"),
        ("the header names another key, no --key", with_line(0, dict(lines[0], ledger_key=other_key)), [],
         "carries no signature by"),
    ]

    proof = json.load(open(inclusion))
    cons = json.load(open(consistency))

    def flipped_middle_byte(b64):
        data = bytearray(base64.b64decode(b64))
        data[len(data) // 2] ^= 0x01
        return base64.b64encode(bytes(data)).decode()

    def flip_hex(h):
        return h[:10] + ("1" if h[10] == "0" else "0") + h[11:]

    proof_cases = [
        ("an inclusion path hash flipped", dict(proof, path=[flip_hex(proof["path"][0])] + proof["path"][1:]),
         "does not lead"),
        ("the leaf hash of another entry", dict(proof, leaf_hash=lines[entry_at[43]]["leaf_hash"]),
         "do not hash to the leaf_hash"),
        ("the entry bytes altered", dict(proof, entry=flipped_middle_byte(proof["entry"])), "do not hash"),
        ("the checkpoint signature flipped", dict(proof, checkpoint=flipped_note_signature(proof["checkpoint"])),
         "does not verify"),
        ("a consistency hash flipped", dict(cons, proof=cons["proof"][:-1] + [flip_hex(cons["proof"][-1])]),
         "does not reproduce"),
        ("checkpoint2 swapped for checkpoint1",
         dict(cons, checkpoint2=cons["checkpoint1"]), "checkpoints are for sizes"),
    ]

    failures = []

    def expect_refusal(what, args, needle):
        r = checker(args)
        ok = r.returncode == 1 and needle in r.stderr
        print(f"{'refused' if ok else 'NOT REFUSED AS EXPECTED'}: {what}: exit {r.returncode}: {r.stderr.strip()}")
        if not ok:
            failures.append(what)

    for number, (what, altered, extra, needle) in enumerate(export_cases):
        path = ledger.path(f"tampered-{number}.jsonl")
        write(path, "".join(json.dumps(l, ensure_ascii=False) + "\n" for l in altered))
        # Envelope signatures are slow in pure Python: checked where they are what is tampered.
        speed = [] if "envelope" in what else ["--no-envelope-signatures"]
        expect_refusal(what, (["--key", ledger.vkey] if extra is None else extra) + speed + [path], needle)
    for number, (what, altered, needle) in enumerate(proof_cases):
        path = ledger.path(f"tampered-proof-{number}.json")
        write(path, json.dumps(altered))
        expect_refusal(what, ["--key", ledger.vkey, "--no-envelope-signatures", export, "--proof", path], needle)

    # Malformed input is exit status 2, not 1.
    malformed = ledger.path("malformed.jsonl")
    write(malformed, ledger.export_text.replace("\n", "\n{broken\n", 1))
    r = checker(["--key", ledger.vkey, malformed])
    if r.returncode != 2:
        failures.append(f"malformed export: exit {r.returncode}")
    if failures:
        sys.exit("FAILED: not refused as expected: " + "; ".join(failures))
    print(f"refused all {len(export_cases) + len(proof_cases)} tampered inputs")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--passbook", required=True)
    parser.add_argument("mode", choices=["accept", "tamper"])
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="passbook-check-export-")
    try:
        ledger = Ledger(args.passbook, work)
        (accept if args.mode == "accept" else tamper)(ledger)
    except BaseException:
        print(f"(files kept in {work})")
        raise
    shutil.rmtree(work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
