#!/usr/bin/env python3
"""Writes datasets/manifest.json from a copy of the 57 SITE task folders and its SOURCE.md.

Usage: scripts/make_manifest.py [SITE57_DIR] > datasets/manifest.json
SITE57_DIR defaults to ../shared/datasets/site57. Each file's sha256 is computed and must equal
the one SOURCE.md lists; item counts are read from the files.
"""
import hashlib
import json
import os
import re
import sys

UPSTREAM = "https://raw.githubusercontent.com/SNU-DRL/Soft_Injection/main/dataset"
SPLITS = ["train", "valid", "test"]


def main() -> None:
    root = sys.argv[1] if len(sys.argv) > 1 else "../shared/datasets/site57"
    listed = {}
    with open(os.path.join(root, "SOURCE.md"), encoding="utf-8") as source:
        for line in source:
            match = re.fullmatch(r"([0-9a-f]{64})  (\S+/\w+\.json)\n?", line)
            if match:
                listed[match.group(2)] = match.group(1)
    tasks = sorted({path.split("/")[0] for path in listed})
    entries = []
    for task in tasks:
        files = []
        for split in SPLITS:
            relative = f"{task}/{split}.json"
            with open(os.path.join(root, relative), "rb") as handle:
                data = handle.read()
            digest = hashlib.sha256(data).hexdigest()
            if digest != listed[relative]:
                sys.exit(f"{relative}: sha256 {digest} differs from SOURCE.md {listed[relative]}")
            files.append({
                "split": split,
                "path": relative,
                "items": len(json.loads(data)),
                "bytes": len(data),
                "sha256": digest,
                "url": f"{UPSTREAM}/{relative}",
            })
        entries.append({"name": task, "licence": "Apache-2.0", "files": files})
    manifest = {
        "description": "The 57 SITE text tasks (train/valid/test), from SNU-DRL/Soft_Injection dataset/, "
                       "derived from the Function Vectors datasets of Todd et al.",
        "licence": "Apache-2.0",
        "upstream": UPSTREAM,
        "tasks": entries,
    }
    json.dump(manifest, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
