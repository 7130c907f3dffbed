"""Generated fuzz of stackwatch's writable debugfs files (stress suite, c).

Writes random bytes, NUL and non-UTF-8 bytes, oversize writes, boundary
numbers and mutated valid commands to probes, threshold, budgets, enabled and
reset, each in one write(2). After each write: the result must be OK or an
errno, the very one a simple model of the module's parsing and of the
probe set predicts, and the attached set and the settings read back must
equal the model's. Prints TAP-like lines for the guest runner.

  stress_fuzz.py DEBUGFS_DIR WRITES THREAD_SIZE SEED
  stress_fuzz.py PARAMS_DIR WRITES THREAD_SIZE SEED params

With `params`, the same files as module parameters
(/sys/module/stackwatch/parameters, lockdown.sh): the module parses what it
gets with the same code, but sysfs hands a write over in pieces of at most
a page and the parameter code stops at its first NUL, which the model
applies to the bytes first (and an empty write never reaches the module).
"""
import errno
import os
import random
import re
import subprocess
import sys

swd, nwrites, ts, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
params = sys.argv[5:] == ["params"]
# The report files (summary) are in debugfs either way.
DEBUGFS = "/sys/kernel/debug/stackwatch" if params else swd
PAGE = 4096


def transported(data):
    """What the module's parsing gets of one write(2) of data."""
    return data[:PAGE].split(b"\0")[0] if params else data

rng = random.Random(seed)
MAX_WRITE, MAX_NAME, MAX_BUDGETS = 4096, 256, 4
# What Rust's str::trim strips: the White_Space characters.
WS = "\t\n\x0b\x0c\r \x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200b))) + "\u2028\u2029\u202f\u205f\u3000"
NAME_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.$*?[]")
# Specs that attach on the stock kernel, and ones that do not exist.
GOOD = ["vfs_read", "vfs_write", "vfs_fsync", "submit_bio", "vfs_rea*", "xfs_trans_commit"]
UNKNOWN = ["no_such_function_sw", "nosuch_sw_*_glob", "a" * MAX_NAME]


class Refused(Exception):
    def __init__(self, name):
        super().__init__(name)
        self.name = name


def do_write(path, data):
    try:
        fd = os.open(path, os.O_WRONLY)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)
        return "OK"
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))


def read(name):
    with open(os.path.join(swd, name)) as f:
        return f.read()


def attached_set():
    return sorted(l.split()[1] for l in read("probes").splitlines()
                  if l.split()[:1] in (["attached"], ["pending"]))


def text_of(data):
    if len(data) > MAX_WRITE:
        raise Refused("E2BIG")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused("EINVAL")


def check_name(name):
    if not name:
        raise Refused("EINVAL")
    if len(name.encode()) > MAX_NAME:
        raise Refused("E2BIG")
    if not set(name) <= NAME_CHARS or set(name) <= set("*?"):
        raise Refused("EINVAL")
    return name


def lines(text):
    out = text.split("\n")
    if out and out[-1] == "":
        out.pop()
    return out


def parse_probes(text):
    cmds = []
    for line in lines(text):
        line = line.strip(WS)
        if not line or line.startswith("#"):
            continue
        if line == "clear":
            cmds.append(("clear", None))
            continue
        if ord(line[0]) > 127:  # the first byte is not a whole character
            raise Refused("EINVAL")
        op, name = line[0], check_name(line[1:].strip(WS))
        if op not in "+-":
            raise Refused("EINVAL")
        cmds.append((op, name))
    if not cmds:
        raise Refused("EINVAL")
    return cmds


def model_probes(data, specs):
    cmds = parse_probes(text_of(data))
    s = set(specs)
    for op, name in cmds:  # checked in order against the set as it goes
        if op == "+":
            if name in s:
                raise Refused("EEXIST")
            s.add(name)
        elif op == "-":
            if name not in s:
                raise Refused("ENOENT")
            s.discard(name)
        else:
            s.clear()
    for k, (op, name) in enumerate(cmds):  # attached: what survives
        later = cmds[k + 1:]
        if op == "+" and not any(o == "clear" or (o == "-" and n == name) for o, n in later):
            if name not in GOOD:
                raise Refused("ENOENT")
    return s


def parse_number(tok, top):
    t = tok.strip(WS)
    if not t or not all(c in "0123456789" for c in t):
        raise Refused("EINVAL")
    v = int(t)
    if v >= 1 << 64 or v > top:
        raise Refused("ERANGE")
    return v


def model_budgets(data):
    text = text_of(data)
    if text.strip(WS) == "none":
        return []
    if text.strip(WS) == "default":
        return [b for b in (4096, 8192) if b < ts]
    # split_list: at commas and ASCII whitespace (not \x0b), empty tokens dropped
    toks = [t for t in re.split("[, \t\n\x0c\r]", text) if t]
    out = []
    for t in toks:
        if len(out) == MAX_BUDGETS:
            raise Refused("E2BIG")
        v = parse_number(t, ts)
        if v == 0:
            raise Refused("ERANGE")
        out.append(v)
    if not out:
        raise Refused("EINVAL")
    return out


def model_bool(data):
    t = text_of(data).strip(WS)
    if t not in ("0", "1"):
        raise Refused("EINVAL")
    return t == "1"


def garbage():
    """Random bytes that no file accepts: always a NUL or a non-UTF-8 byte."""
    b = bytearray(rng.randbytes(rng.randint(0, 40)))
    b.insert(rng.randint(0, len(b)), rng.choice([0, 0xff, 0xc3, 0x80]))
    return bytes(b)


def mutate(s):
    s = list(s)
    for _ in range(rng.randint(1, 3)):
        i = rng.randint(0, len(s))
        r = rng.random()
        alphabet = "+-#*?[]_.$ \t\nabcxyz019\x00é"
        if r < 0.4 and s and i < len(s):
            del s[i]
        elif r < 0.8:
            s.insert(i, rng.choice(alphabet))
        elif s and i < len(s):
            s[i] = rng.choice(alphabet)
    return "".join(s).encode()


def probe_write(specs):
    r = rng.random()
    if r < 0.1:
        return garbage()
    if r < 0.13:
        return ("+" + "vfs_read\n" * 500).encode()  # oversize
    cmds = []
    for _ in range(rng.randint(1, 4)):
        k = rng.random()
        if k < 0.05:
            cmds.append("clear")
        elif k < 0.1:
            cmds.append(rng.choice(["# comment", "", "  "]))
        else:
            pool = GOOD if rng.random() < 0.85 else UNKNOWN + ["a" * (MAX_NAME + 1), "*", "?*", "a b"]
            name = rng.choice(pool)
            # Remove what is there more often than not, so the set moves.
            op = "-" if (name in specs and rng.random() < 0.7) else "+"
            cmds.append(rng.choice(["", " ", "\t"]) + op + rng.choice(["", " "]) + name + rng.choice(["", " ", "\r"]))
    text = "\n".join(cmds) + rng.choice(["", "\n"])
    if rng.random() < 0.25:
        # A mutation that attaches a name of its own making (say "vfs_*read")
        # could match real functions the model does not know: such are
        # made again, and the unmutated write used after a few tries.
        for _ in range(10):
            m = mutate(text)
            try:
                cmds = parse_probes(text_of(m))
            except Refused:
                return m
            if all(op != "+" or name in GOOD + UNKNOWN for op, name in cmds):
                return m
    return text.encode()


def number_write():
    r = rng.random()
    if r < 0.15:
        return garbage()
    if r < 0.2:
        return b"1" * (MAX_WRITE + 1)
    n = rng.choice([0, 1, least - 1, least, ts - 1, ts, ts + 1, 4096, 2048, 1 << 32, (1 << 64) - 1, 1 << 64, 10 ** 30])
    fmt = rng.choice(["{}", "{}\n", " {} ", "-{}", "+{}", "{}x", "{} {}", "{},{}"])
    return fmt.format(n, rng.choice([4096, 8192, 1, ts])).encode()


def budget_write():
    r = rng.random()
    if r < 0.4:
        return number_write()
    if r < 0.55:
        return rng.choice([b"none", b"default\n", b" none ", "nonе".encode(), b"", b"defaults"])
    k = rng.randint(0, 6)
    vals = [str(rng.choice([1, 64, 4096, 8192, ts, ts + 1, 0])) for _ in range(k)]
    return rng.choice([",", " ", ", ", "\n"]).join(vals).encode()


def bool_write():
    return rng.choice([b"0", b"1", b"1\n", b" 0 ", b"2", b"", b"yes", b"01", garbage()])


def least_threshold():
    """The least threshold other than 0 that can warn, as the module's
    refusal of 1 names it in the kernel log (issue 22, defect 6)."""
    before = read("threshold")
    if do_write(os.path.join(swd, "threshold"), b"1") != "EINVAL":
        do_write(os.path.join(swd, "threshold"), before.encode())
        return 1
    log = subprocess.run(["dmesg"], capture_output=True, text=True).stdout
    found = re.findall(r"stackwatch: threshold: 1 is below (\d+),", log)
    return int(found[-1]) if found else 1


def model_threshold(data):
    v = parse_number(text_of(data), ts)
    if 0 < v < least:
        raise Refused("EINVAL")
    return v


ok = bad = 0
results = {}
least = least_threshold()
specs = set(attached_set())
threshold = int(read("threshold"))
budgets = [int(l.split()[0]) for l in read("budgets").splitlines() if l and not l.startswith("#")]
enabled = read("enabled").strip() == "1"
for i in range(nwrites):
    f = rng.choices(["probes", "threshold", "budgets", "enabled", "reset"], [50, 15, 15, 10, 10])[0]
    if f == "probes":
        data = probe_write(specs)
    elif f == "threshold":
        data = number_write()
    elif f == "budgets":
        data = budget_write()
    else:
        data = bool_write()
    sent = transported(data)
    try:
        if params and not data:
            raise Refused("OK")  # sysfs does not call the parameter: no change
        if f == "probes":
            new = model_probes(sent, specs)
        elif f == "threshold":
            new = model_threshold(sent)
        elif f == "budgets":
            new = model_budgets(sent)
        else:
            new = model_bool(sent)
        want = "OK"
    except Refused as e:
        want, new = e.name, None
    got = do_write(os.path.join(swd, f), data)
    results[got] = results.get(got, 0) + 1
    if want == "OK" and new is not None:
        if f == "probes":
            specs = new
        elif f == "threshold":
            threshold = new
        elif f == "budgets":
            budgets = new
        elif f == "enabled":
            enabled = new
    state = (attached_set(), int(read("threshold")),
             [int(l.split()[0]) for l in read("budgets").splitlines() if l and not l.startswith("#")],
             read("enabled").strip() == "1")
    model = (sorted(specs), threshold, budgets, enabled)
    if got != want or state != model:
        bad += 1
        if bad <= 20:
            print(f"not ok - fuzz write {i} to {f}: {data[:80]!r}: got {got}, model {want}; "
                  f"state {state} model {model}")
    else:
        ok += 1
    if i % 50 == 0:
        with open(os.path.join(DEBUGFS, "summary")) as fs:  # the module still answers
            fs.read()
    if i % 100 == 0:
        print(f"  fuzz: {i}/{nwrites} writes, results {sorted(results.items())}", flush=True)
print(f"measure: fuzz: {nwrites} writes, results {sorted(results.items())}")
verdict = "ok" if bad == 0 else "not ok"
print(f"{verdict} - fuzz: {ok} of {nwrites} writes gave the model's result and state ({bad} did not)")
sys.exit(1 if bad else 0)
