#!/usr/bin/env python3
"""Checks that Package.swift declares exactly what each of our targets imports.

A target that imports a module it does not declare builds only by luck (another target
pulled the module in); one that declares a module it never imports drags in a dependency
for nothing. Prints every mismatch and exits 1 if there is one.
"""
import json, os, re, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOOLCHAIN = {"Foundation", "FoundationEssentials", "Synchronization", "Testing", "XCTest", "Dispatch", "Glibc", "Musl", "Darwin", "_Concurrency"}
IMPORT = re.compile(r"^\s*(?:@\w+(?:\([^)]*\))?\s+)*(?:public\s+|internal\s+|package\s+|private\s+|fileprivate\s+)?import\s+(?:(?:struct|class|enum|protocol|func|var|typealias)\s+)?([A-Za-z_][A-Za-z0-9_]*)")

def main():
    package = json.loads(subprocess.check_output(["swift", "package", "dump-package"], cwd=ROOT))
    failures = []
    for target in package["targets"]:
        if target["type"] == "system":
            continue
        name = target["name"]
        path = target.get("path") or os.path.join("Tests" if target["type"] == "test" else "Sources", name)
        declared = set()
        for dependency in target.get("dependencies", []):
            for kind in ("byName", "product", "target"):
                if kind in dependency:
                    declared.add(dependency[kind][0])
        imported = set()
        for directory, _, files in os.walk(os.path.join(ROOT, path)):
            for file in files:
                if file.endswith(".swift"):
                    with open(os.path.join(directory, file), encoding="utf-8") as source:
                        for line in source:
                            match = IMPORT.match(line)
                            if match:
                                imported.add(match.group(1))
        imported -= TOOLCHAIN
        imported.discard(name)
        missing, unused = sorted(imported - declared), sorted(declared - imported)
        if missing:
            failures.append(f"{name}: imports but does not declare {', '.join(missing)}")
        if unused:
            failures.append(f"{name}: declares but never imports {', '.join(unused)}")
    for failure in failures:
        print(failure)
    if failures:
        sys.exit(1)
    print(f"imports: every target declares exactly what it imports ({len(package['targets'])} targets)")

if __name__ == "__main__":
    main()
