#!/usr/bin/python3
"""check-keys.py - the configuration keys are listed once, in the code
(src/conf/conf.c's table), and every place that lists them agrees: the
example config (every key, each active line at its default),
passiond.conf(5) (every key, with the code's default) and
docs/operations.md's table. A key missing anywhere, or one named that
does not exist, fails. The code's list is what passiond --check-config
prints."""
import os, re, subprocess, sys, tempfile

src = os.environ.get("abs_top_srcdir", ".")
build = os.environ.get("abs_top_builddir", ".")
failures = []
passed = 0


def check(ok, what):
    global passed
    if ok:
        passed += 1
    else:
        failures.append(what)
        print("FAIL: " + what)


def dump(conf_text):
    """passiond --check-config's key = value lines for a config text."""
    with tempfile.TemporaryDirectory() as d:
        secret = os.path.join(d, "secret")
        with open(secret, "w") as f:
            f.write("x" * 40 + "\n")
        path = os.path.join(d, "p.conf")
        with open(path, "w") as f:
            f.write(conf_text.replace("@SECRET@", secret))
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("PASSIOND_") and k != "CREDENTIALS_DIRECTORY"}
        out = subprocess.run([build + "/passiond", "-c", path, "--check-config"],
                             capture_output=True, text=True, env=env)
        if out.returncode == 2:
            print(out.stdout + out.stderr)
            sys.exit(1)
        pairs = {}
        for line in out.stdout.splitlines():
            m = re.match(r"^([a-z0-9_.<>-]+) = (.*)$", line)
            if m:
                pairs[m.group(1)] = m.group(2)
        return pairs


PROVIDER = ("oidc.x.issuer = https://x.example\noidc.x.client_id = c\n"
            "oidc.x.client_secret_file = @SECRET@\nsecret_key_file = @SECRET@\n")
code = dump("")
for k in dump(PROVIDER):
    if k.startswith("oidc.x."):
        field = k[len("oidc.x."):]
        # The secret is set by its file (or the credential of that name).
        code["oidc.<id>." + (field + "_file" if field == "client_secret" else field)] = None
keys = set(code)
secrets = {k for k, v in code.items() if v in ("(set)", "(unset)")}
check(len(keys) > 70, "passiond --check-config lists the keys (%d)" % len(keys))


# The files name Debian's paths; make install writes configure's, as the
# build's defaults are (RUNSTATEDIR in listen).
RUN = code["listen"][len("unix:"):-len("/passiond/passiond.sock")]


def installed(text):
    return text.replace("/run/passiond/", RUN + "/passiond/")


def norm(k):
    return re.sub(r"^oidc\.[a-z0-9-]+\.", "oidc.<id>.", k)


def compare(name, found):
    for k in sorted(keys - found):
        check(False, "%s misses the key %s" % (name, k))
    for k in sorted(found - keys):
        check(False, "%s names %s, which is no key" % (name, k))
    if found == keys:
        check(True, name)


# The example: each key set (or shown commented), secrets mentioned.
example = open(src + "/systemd/passiond.conf.example").read()
found = set()
for line in example.splitlines():
    m = re.match(r"^#?([a-z][a-z0-9_.<>-]*) =", line)
    if m:
        found.add(norm(m.group(1)))
for k in secrets:
    if re.search(r"\b%s\b" % re.escape(k), example):
        found.add(k)
compare("systemd/passiond.conf.example", found)
# Its active lines are the defaults: it runs exactly as no file does.
ex = dump(installed(example))
for k, v in code.items():
    if v is not None and ex.get(k) != v:
        check(False, "the example sets %s = %s, the default is %s"
              % (k, ex.get(k), v))
check(all(ex.get(k) == v for k, v in code.items() if v is not None),
      "the example's values are the defaults")

# passiond.conf(5): every key an entry, with the code's default.
man = open(src + "/man/passiond.conf.5").read()
entries = re.findall(r"^\.It Ic (\S+) Pq (.*)$", man, re.M)
compare("man/passiond.conf.5", {k for k, _ in entries})
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400,
         "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}


def as_dumped(key, text):
    m = re.match(r"^default: Li (.*)$", text)
    if not m:
        return None
    v = installed(m.group(1).replace("\\ ", " "))
    d = code.get(key)
    n = re.match(r"^(\d+)([smhdKMG])$", v)
    if n and d is not None and re.match(r"^\d+$", d):
        return str(int(n.group(1)) * UNITS[n.group(2)])
    return v


for k, text in entries:
    v = as_dumped(k, text)
    if v is not None and code.get(k) is not None:
        check(v == code[k], "passiond.conf(5): %s default %s, the code's %s"
              % (k, v, code[k]))
    elif code.get(k) is not None and code[k] not in ("", "(unset)"):
        check(False, "passiond.conf(5): %s gives no default (the code's: %s)"
              % (k, code[k]))

# docs/operations.md's table under "## Configuration".
ops = open(src + "/docs/operations.md").read()
section = ops.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
found = set()
for line in section.splitlines():
    if not line.startswith("| `"):
        continue
    first = line.split("|")[1]
    prefix = ""
    for tok in re.findall(r"`([^`]+)`", first):
        if tok.startswith("."):
            found.add(prefix + tok)
        else:
            found.add(tok)
            prefix = tok.rsplit(".", 1)[0] if tok.startswith("oidc.") else ""
compare("docs/operations.md (Configuration)", found)

print("%d passed, %d failed" % (passed, len(failures)))
sys.exit(1 if failures else 0)
