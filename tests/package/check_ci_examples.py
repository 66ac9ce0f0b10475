#!/usr/bin/env python3
"""The CI examples as a user copies them: each YAML file parses, and every shell line runs
a command that exists: a program on this machine, `funnel` once an earlier line of the same
job installed the package, a script the package installs, and Debian packages apt-get can
find. Usage: check_ci_examples.py REPO_ROOT"""
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

root = Path(sys.argv[1])
passed = failed = 0


def report(ok, what):
    global passed, failed
    print(("ok   " if ok else "FAIL ") + what)
    if ok:
        passed += 1
    else:
        failed += 1


def installed_share_files():
    """Files CMakeLists.txt installs into share/funnel, as /usr/share/funnel/NAME."""
    text = (root / "CMakeLists.txt").read_text()
    found = set()
    for m in re.finditer(r"install\(PROGRAMS ([^)]*?) DESTINATION \$\{CMAKE_INSTALL_DATADIR\}/funnel\)", text):
        for f in m.group(1).split():
            if (root / f).is_file():
                found.add("/usr/share/funnel/" + Path(f).name)
    return found


def apt_known(name):
    return subprocess.run(["apt-cache", "show", name], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0


def shell_lines(block):
    """A `run:` block or a script list as single command lines (continuations joined)."""
    items = block if isinstance(block, list) else [block]
    for item in items:
        for line in str(item).replace("\\\n", " ").splitlines():
            line = line.split(" #", 1)[0].strip()
            if line and not line.startswith("#"):
                yield line


def check_job(file, job, lines, share):
    have_funnel = False
    for line in lines:
        for part in re.split(r"&&|\|\||;|\|", line):
            words = shlex.split(part.replace("(", " ").replace(")", " "))
            while words and (re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", words[0]) or words[0] in ("sudo", "cd")):
                words = words[2:] if words[0] == "cd" else words[1:]
            if not words:
                continue
            cmd = words[0]
            if cmd == "funnel":
                report(have_funnel, f"{file} {job}: funnel runs after the package is installed ({line[:60]})")
            elif cmd == "sh":
                script = words[1] if len(words) > 1 else ""
                report(script in share, f"{file} {job}: {script} is installed by the package")
            else:
                report(shutil.which(cmd) is not None, f"{file} {job}: command {cmd} exists")
            if cmd == "apt-get" and "install" in words:
                for w in words[words.index("install") + 1:]:
                    if w.startswith("-"):
                        continue
                    if "funnel_" in w and w.endswith(".deb"):
                        have_funnel = True
                        continue
                    report(apt_known(w), f"{file} {job}: Debian package {w} exists")


share = installed_share_files()
for path in sorted((root / "examples" / "ci").glob("*.yml")):
    try:
        doc = yaml.safe_load(path.read_text())
        report(isinstance(doc, dict), f"{path.name} parses as YAML")
    except yaml.YAMLError as e:
        report(False, f"{path.name} parses as YAML: {e}")
        continue
    if "jobs" in doc:  # GitHub Actions
        for name, job in doc["jobs"].items():
            lines = [l for step in job.get("steps", []) if "run" in step for l in shell_lines(step["run"])]
            report(bool(lines), f"{path.name} {name}: has shell steps")
            check_job(path.name, name, lines, share)
    else:  # GitLab CI: every mapping with a script is a job
        for name, job in doc.items():
            if isinstance(job, dict) and "script" in job:
                lines = list(shell_lines(job.get("before_script", []))) + list(shell_lines(job["script"]))
                check_job(path.name, name, lines, share)
print(f"ci-examples: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
