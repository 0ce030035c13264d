#!/usr/bin/env python3
"""GTKWave translate filters from the RTL's enums: one file per `typedef enum` in rtl/*.sv
(sa_pkg's opcodes, buffers, controller states ...; the engines' own state enums), written to
waveforms/filters/<enum>.txt as "<value in decimal> <enumerator>" lines. The views in
waveforms/*.gtkw attach them to the traces that hold those enums (shown in decimal), so GTKWave
shows CtrlDispatch instead of 2.

  tools/gtkw_filters.py            write the filters (after an enum of the RTL changed)
  tools/gtkw_filters.py --check    exit 1, naming each file, if any filter differs from what the
                                   RTL declares now, or names an enum the RTL no longer has
                                   (ctest: wave_filters)

Run with /usr/bin/python3; the standard library only.
"""

import argparse
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
ENUM = re.compile(r"typedef\s+enum\s+logic\s*(?:\[\s*(\d+)\s*:\s*(\d+)\s*\])?\s*\{([^}]*)\}\s*(\w+)\s*;")
ENTRY = re.compile(r"^(\w+)\s*(?:=\s*(.+?))?$")
SIZED = re.compile(r"^(\d*)'([bdh])([0-9a-fA-F_]+)$")


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def literal(text, where):
    """The value of 5'd3, 8'h1f, 1'b0 or 42; anything else is refused."""
    text = text.strip()
    m = SIZED.match(text)
    if m:
        return int(m.group(3).replace("_", ""), {"b": 2, "d": 10, "h": 16}[m.group(2)])
    if re.fullmatch(r"\d+", text):
        return int(text)
    raise SystemExit(f"{where}: cannot read the enum value '{text}'")


def enums(rtl_dir):
    """{enum name: (source file, width, [(enumerator, value)])} for every typedef enum."""
    found = {}
    for path in sorted(rtl_dir.glob("*.sv")):
        for m in ENUM.finditer(strip_comments(path.read_text())):
            name = m.group(4)
            where = f"{path.relative_to(ROOT)}: {name}"
            width = int(m.group(1)) - int(m.group(2)) + 1 if m.group(1) else 1
            entries, value = [], 0
            for item in m.group(3).split(","):
                em = ENTRY.match(item.strip())
                if not em:
                    raise SystemExit(f"{where}: cannot read the enum entry '{item.strip()}'")
                value = literal(em.group(2), where) if em.group(2) else value
                if value >= 1 << width:
                    raise SystemExit(f"{where}: {em.group(1)} = {value} does not fit {width} bits")
                entries.append((em.group(1), value))
                value += 1
            if name in found:
                raise SystemExit(f"{where}: also declared in {found[name][0]}; a filter is named "
                                 "by its enum, so enum names must be unique across rtl/")
            found[name] = (path.relative_to(ROOT).as_posix(), width, entries)
    if not found:
        raise SystemExit(f"no typedef enum in {rtl_dir}")
    return found


def filter_text(name, source, width, entries):
    lines = [f"# GTKWave translate filter: {name} of {source} ({width} bit{'s' if width > 1 else ''}), values in "
             "decimal.",
             "# Written by tools/gtkw_filters.py from the RTL; do not edit (ctest wave_filters)."]
    lines += [f"{value} {enumerator}" for enumerator, value in entries]
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="compare waveforms/filters/ with the RTL instead of writing")
    parser.add_argument("--rtl", type=pathlib.Path, default=ROOT / "rtl")
    parser.add_argument("--out", type=pathlib.Path, default=ROOT / "waveforms" / "filters")
    args = parser.parse_args()

    want = {f"{name}.txt": filter_text(name, *decl) for name, decl in enums(args.rtl).items()}
    have = {p.name: p.read_text() for p in args.out.glob("*.txt")} if args.out.is_dir() else {}
    if args.check:
        problems = [f"{args.out / n}: missing (enum {n[:-4]})" for n in sorted(want) if n not in have]
        problems += [f"{args.out / n}: differs from the enum in the RTL"
                     for n in sorted(want) if n in have and have[n] != want[n]]
        problems += [f"{args.out / n}: no enum {n[:-4]} in the RTL" for n in sorted(have)
                     if n not in want]
        for p in problems:
            print(f"FAILED {p}")
        if problems:
            print("regenerate with: /usr/bin/python3 tools/gtkw_filters.py")
            return 1
        print(f"PASSED: {len(want)} filters equal the RTL's enums")
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    for name in sorted(have):
        if name not in want:
            (args.out / name).unlink()
    for name, text in sorted(want.items()):
        if have.get(name) != text:
            tmp = args.out / f".{name}.tmp"
            tmp.write_text(text)
            tmp.replace(args.out / name)
            print(f"wrote {args.out / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
