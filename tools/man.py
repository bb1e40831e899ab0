#!/usr/bin/python3
"""man.py - the man pages of tyndau, made from the program's own --help texts.

    tools/man.py build/tyndau OUTDIR

writes OUTDIR/tyndau.1 (from `tyndau --help`) and OUTDIR/tyndau-COMMAND.1 for every command
the main help lists (from `tyndau COMMAND --help`): the usage lines are the SYNOPSIS, the
text before the option list the DESCRIPTION, every line of the option list ("  -x, --name
ARG   what", continued by deeper-indented lines) an item of OPTIONS.  The --help text is the
one description of the options (cli_parse refuses a --help that leaves one out), so the
pages cannot drift from the program.
"""
import os
import re
import subprocess
import sys

OPTION = re.compile(r"^  (-\w, )?(--[\w-]+(?:[ =]\S+)?)\s{2,}(.*)$|^      (--[\w-]+(?:[ =]\S+)?)\s{2,}(.*)$")
COMMAND = re.compile(r"^  (\w+) .*?\s{2,}(\S.*)$")


def esc(text):
    text = text.replace("\\", "\\e").replace("-", "\\-")
    return "\\&" + text if text[:1] in (".", "'") else text


def help_text(tyndau, *args):
    r = subprocess.run([tyndau, *args, "--help"], capture_output=True, text=True)
    if r.returncode != 0 or r.stderr:
        sys.exit("man.py: %s %s --help: exit %d: %s" % (tyndau, " ".join(args), r.returncode, r.stderr.strip()))
    return r.stdout


def page(name, summary, text, version):
    lines = text.rstrip("\n").split("\n")
    synopsis = []
    while lines and lines[0].strip():
        synopsis.append(re.sub(r"^usage: ", "", lines.pop(0)).strip())
    out = ['.TH %s 1 "" "tyndau %s" "tyndau manual"' % (name.upper(), version), ".SH NAME",
           "%s \\- %s" % (esc(name), esc(summary)), ".SH SYNOPSIS", ".nf"]
    out += [esc(s) for s in synopsis] + [".fi", ".SH DESCRIPTION"]
    in_options = in_nf = False
    for line in lines:
        m = OPTION.match(line)
        indented = line.startswith("  ") and not m and not (in_options and line.startswith("        "))
        if in_nf and not indented:
            out.append(".fi")
            in_nf = False
        if m:
            if not in_options:
                out.append(".SH OPTIONS")
                in_options = True
            short, spec, what = (m.group(1) or "", m.group(2), m.group(3)) if m.group(2) else ("", m.group(4), m.group(5))
            out += [".TP", "\\fB%s\\fR" % esc(short + spec), esc(what)]
        elif not line.strip():
            out.append(".PP")
        elif in_options and line.startswith("        "):
            out.append(esc(line.strip()))
        elif indented:  # a table or a list: as laid out
            if not in_nf:
                out.append(".nf")
                in_nf = True
            out.append(esc(line))
        else:
            out.append(esc(line.strip()))
    if in_nf:
        out.append(".fi")
    out += [".SH SEE ALSO", "tyndau(1); README.md and docs/ in the source tree." if name != "tyndau" else
            "README.md and docs/ in the source tree."]
    return "\n".join(out) + "\n"


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: tools/man.py TYNDAU OUTDIR")
    tyndau, outdir = sys.argv[1:]
    version = subprocess.run([tyndau, "--version"], capture_output=True, text=True).stdout.split()[1]
    main_help = help_text(tyndau)
    commands = []
    in_list = False
    for line in main_help.split("\n"):
        if line.startswith("commands:"):
            in_list = True
        elif in_list and not line.strip():
            break
        elif in_list:
            m = COMMAND.match(line)
            if m:
                commands.append((m.group(1), m.group(2)))
    os.makedirs(outdir, exist_ok=True)
    pages = {"tyndau": page("tyndau", "does Kazakhstan's Listening State reform make the state listen?",
                            main_help, version)}
    for cmd, summary in commands:
        pages["tyndau-" + cmd] = page("tyndau-" + cmd, summary, help_text(tyndau, cmd), version)
    for name, text in pages.items():
        with open(os.path.join(outdir, name + ".1"), "w") as f:
            f.write(text)
    print("man.py: %d pages in %s" % (len(pages), outdir))


if __name__ == "__main__":
    main()
