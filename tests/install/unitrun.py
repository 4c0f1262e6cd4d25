#!/usr/bin/python3
"""unitrun.py - systemctl for a machine whose PID 1 is not systemd (the test
machines): it runs the installed units as systemd would, reading everything
from the unit files and their drop-ins, so that tests/install/run follows
docs/operations.md's systemctl commands against the units the package
installed.

    unitrun.py STATE systemctl-arguments...     (enable --now, start, stop,
                                                 restart, reload, is-active,
                                                 is-enabled, show -p MainPID,
                                                 daemon-reload, disable)
    unitrun.py STATE --shutdown                 stop everything it started

A manager process (started on first use, its control socket in STATE) plays
PID 1: it holds each socket unit's listening socket and passes it to its
service (LISTEN_FDS), makes RuntimeDirectory=, StateDirectory= and LogsDirectory=, copies
LoadCredential= files into a credentials directory readable by User= only,
runs ExecStartPre=, ExecStart= (as User=/Group=, UMask=, Environment=;
the specifier %% only), a oneshot's ExecStartPost=,
waits for READY=1 on NOTIFY_SOCKET (Type=notify), ExecReload= with $MAINPID,
and stops with KillSignal= and TimeoutStopSec= (KillMode=mixed: the rest
of the process group is killed after the main process exits). A service's
output goes to STATE/UNIT.log, its journal. Not emulated: the sandboxing
directives (ProtectSystem= and the rest; tests/systemd/check-units.sh has
systemd-analyze judge them) and Restart=.

The unit "nginx" is handed to $PASSION_UNITRUN_NGINX start|reload|stop.
"""
import grp, json, os, pwd, re, shlex, shutil, signal, socket, subprocess
import sys, time

STATE = None

UNIT_DIRS = ["/etc/systemd/system", "/lib/systemd/system",
             "/usr/lib/systemd/system"]


def load_unit(name):
    """{section: [(key, value)]} of the unit file and its drop-ins."""
    path = next((os.path.join(d, name) for d in UNIT_DIRS
                 if os.path.exists(os.path.join(d, name))), None)
    if path is None:
        raise RuntimeError("Unit %s not found." % name)
    files = [path]
    for d in UNIT_DIRS:
        dropins = os.path.join(d, name + ".d")
        if os.path.isdir(dropins):
            files += sorted(os.path.join(dropins, f)
                            for f in os.listdir(dropins) if f.endswith(".conf"))
    unit, section = {}, None
    for f in files:
        text = open(f).read().replace("\\\n", " ")
        for line in text.splitlines():
            line = line.strip()
            if not line or line[0] in "#;":
                continue
            if line.startswith("["):
                section = unit.setdefault(line.strip("[]"), [])
                continue
            key, _, value = line.partition("=")
            section.append((key.strip(), value.strip()))
    return unit


def values(unit, section, key):
    """Every value of key; an empty assignment resets the list."""
    out = []
    for k, v in unit.get(section, []):
        if k == key:
            out = [] if v == "" else out + [v]
    return out


def value(unit, section, key, default=None):
    v = values(unit, section, key)
    return v[-1] if v else default


def seconds(text):
    m = re.match(r"^(\d+)\s*(ms|s|min|m|h)?$", text.strip())
    n = int(m.group(1))
    return {"ms": n / 1000, None: n, "s": n, "min": n * 60, "m": n * 60,
            "h": n * 3600}[m.group(2)]


class Manager:
    def __init__(self, state):
        self.state = state
        self.sockets = {}       # socket unit -> listening socket
        self.services = {}      # service unit -> main pid
        self.notify_path = os.path.join(state, "notify")
        if os.path.exists(self.notify_path):
            os.unlink(self.notify_path)
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.notify.bind(self.notify_path)
        os.chmod(self.notify_path, 0o777)
        self.notes = {}         # pid -> [notify messages]

    # --- sockets -------------------------------------------------------
    def start_socket(self, name):
        if name in self.sockets:
            return "already listening"
        u = load_unit(name)
        path = value(u, "Socket", "ListenStream")
        os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
        if os.path.exists(path):
            os.unlink(path)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(path)
        uid = pwd.getpwnam(value(u, "Socket", "SocketUser", "root")).pw_uid
        gid = grp.getgrnam(value(u, "Socket", "SocketGroup", "root")).gr_gid
        os.chown(path, uid, gid)
        os.chmod(path, int(value(u, "Socket", "SocketMode", "0666"), 8))
        s.listen(int(value(u, "Socket", "Backlog", "128")))
        self.sockets[name] = s
        return "listening on " + path

    def stop_socket(self, name):
        s = self.sockets.pop(name, None)
        if s is not None:
            path = s.getsockname()
            s.close()
            if os.path.exists(path):
                os.unlink(path)
        return "closed"

    # --- services ------------------------------------------------------
    def identity(self, u):
        user = value(u, "Service", "User", "root")
        group = value(u, "Service", "Group", pwd.getpwnam(user).pw_name)
        return pwd.getpwnam(user), grp.getgrnam(group).gr_gid

    def environment(self, name, u, pw):
        env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:"
                       "/sbin:/bin",
               "LANG": "C.UTF-8", "HOME": pw.pw_dir, "USER": pw.pw_name,
               "LOGNAME": pw.pw_name, "INVOCATION_ID": os.urandom(16).hex()}
        for e in values(u, "Service", "Environment"):
            for pair in shlex.split(e):
                k, _, v = pair.partition("=")
                env[k] = v
        return env

    def directories(self, name, u, pw, gid, env):
        for key, root, var in (("RuntimeDirectory", "/run", "RUNTIME_DIRECTORY"),
                               ("StateDirectory", "/var/lib", "STATE_DIRECTORY"),
                               ("LogsDirectory", "/var/log", "LOGS_DIRECTORY")):
            mode = int(value(u, "Service", key + "Mode", "0755"), 8)
            paths = []
            for d in " ".join(values(u, "Service", key)).split():
                p = os.path.join(root, d)
                os.makedirs(p, exist_ok=True)
                os.chown(p, pw.pw_uid, gid)
                os.chmod(p, mode)
                paths.append(p)
            if paths:
                env[var] = ":".join(paths)
        creds = values(u, "Service", "LoadCredential")
        if creds:
            cdir = os.path.join("/run/credentials", name)
            shutil.rmtree(cdir, ignore_errors=True)
            os.makedirs(cdir)
            for c in creds:
                cid, _, src = c.partition(":")
                if not os.path.exists(src):
                    shutil.rmtree(cdir)
                    raise RuntimeError("%s: LoadCredential=%s: %s is missing"
                                       % (name, cid, src))
                dst = os.path.join(cdir, cid)
                shutil.copyfile(src, dst)
                os.chown(dst, pw.pw_uid, gid)
                os.chmod(dst, 0o400)
            os.chown(cdir, pw.pw_uid, gid)
            os.chmod(cdir, 0o500)
            env["CREDENTIALS_DIRECTORY"] = cdir

    def spawn(self, name, u, argv, env, listen=None, wait=False):
        """Run one Exec*= line as the unit's user: its pid, or with wait
        its exit status (an error unless the line starts with '-')."""
        pw, gid = self.identity(u)
        umask = int(value(u, "Service", "UMask", "0022"), 8)
        log = open(os.path.join(self.state, name + ".log"), "ab")
        ignore = argv.startswith("-")
        if re.search(r"%[^%]", argv.replace("%%", "")):
            raise RuntimeError("%s: a specifier other than %%%% in %s (not "
                               "emulated)" % (name, argv))
        # systemd's ${VAR}, and $VAR as a word of its own, from the
        # unit's environment; $$ is a $.
        subst = dict(env, MAINPID=str(self.services.get(name, "")))
        line = re.sub(r"\$\{(\w+)\}|(?<!\S)\$(\w+)(?!\S)",
                      lambda m: subst.get(m.group(1) or m.group(2), ""),
                      argv.replace("$$", "\0"))
        args = [a.replace("\0", "$").replace("%%", "%")
                for a in shlex.split(line.lstrip("-@+!"))]
        env = dict(env)
        if listen is not None:
            env.update(LISTEN_FDS="1",
                       LISTEN_FDNAMES=name.replace(".service", ".socket"))
        pid = os.fork()
        if pid == 0:
            try:
                os.setsid()
                os.dup2(os.open("/dev/null", os.O_RDONLY), 0)
                os.dup2(log.fileno(), 1)
                os.dup2(log.fileno(), 2)
                if listen is not None:
                    os.dup2(listen.fileno(), 3)
                    os.set_inheritable(3, True)
                    # LISTEN_PID is the service's own pid, as systemd sets it.
                    env["LISTEN_PID"] = str(os.getpid())
                os.closerange(4 if listen is not None else 3, 1024)
                os.setgroups([])
                os.setgid(gid)
                os.setuid(pw.pw_uid)
                os.umask(umask)
                os.chdir("/")
                os.execve(args[0], args, env)
            finally:
                os._exit(127)
        log.close()
        if not wait:
            return pid
        _, status = os.waitpid(pid, 0)
        rc = os.waitstatus_to_exitcode(status)
        if rc != 0 and not ignore:
            raise RuntimeError("%s: %s exited %d (see %s.log)"
                               % (name, args[0], rc, name))
        return rc

    def drain_notify(self):
        """Read what services sent (STATUS= lines come all the time): a
        full queue would block their sd_notify, as it never does under
        systemd."""
        self.notify.setblocking(False)
        try:
            while True:
                self.notify.recv(4096)
        except (BlockingIOError, InterruptedError):
            pass
        finally:
            self.notify.setblocking(True)

    def wait_ready(self, pid, timeout):
        deadline = time.time() + timeout
        self.notify.settimeout(0.2)
        while time.time() < deadline:
            try:
                msg = self.notify.recv(4096).decode()
            except socket.timeout:
                msg = None
            if msg:
                self.notes.setdefault(pid, []).append(msg)
                if "READY=1" in msg.split("\n"):
                    return True
            if not alive(pid):
                return False
        return False

    def start_service(self, name):
        if name in self.services and alive(self.services[name]):
            return "already running"
        u = load_unit(name)
        for req in " ".join(values(u, "Unit", "Requires")).split():
            if req.endswith(".socket"):
                self.start_socket(req)
        pw, gid = self.identity(u)
        env = self.environment(name, u, pw)
        self.directories(name, u, pw, gid, env)
        kind = value(u, "Service", "Type", "simple")
        if kind == "notify":
            env["NOTIFY_SOCKET"] = self.notify_path
        for pre in values(u, "Service", "ExecStartPre"):
            self.spawn(name, u, pre, env, wait=True)
        if kind == "oneshot":
            for cmd in values(u, "Service", "ExecStart"):
                self.spawn(name, u, cmd, env, wait=True)
            for cmd in values(u, "Service", "ExecStartPost"):
                self.spawn(name, u, cmd, env, wait=True)
            return "ran"
        listen = self.sockets.get(name.replace(".service", ".socket"))
        pid = self.spawn(name, u, value(u, "Service", "ExecStart"), env,
                         listen=listen)
        self.services[name] = pid
        if kind == "notify" and not self.wait_ready(pid, 60):
            raise RuntimeError("%s: no READY=1 (see %s.log)" % (name, name))
        return "started, main pid %d" % pid

    def stop_service(self, name):
        pid = self.services.pop(name, None)
        if pid is None or not alive(pid):
            return "inactive"
        u = load_unit(name)
        sig = getattr(signal, value(u, "Service", "KillSignal", "SIGTERM"))
        timeout = seconds(value(u, "Service", "TimeoutStopSec", "90"))
        os.kill(pid, sig)
        deadline = time.time() + timeout
        while alive(pid) and time.time() < deadline:
            self.drain_notify()
            time.sleep(0.05)
        if alive(pid):
            os.kill(pid, signal.SIGKILL)
        try:
            os.killpg(pid, signal.SIGKILL)      # KillMode=mixed
        except ProcessLookupError:
            pass
        while alive(pid):
            time.sleep(0.05)
        if value(u, "Service", "RuntimeDirectoryPreserve", "no") != "yes":
            for d in " ".join(values(u, "Service", "RuntimeDirectory")).split():
                shutil.rmtree(os.path.join("/run", d), ignore_errors=True)
        shutil.rmtree(os.path.join("/run/credentials", name),
                      ignore_errors=True)
        return "stopped (exit %s)" % Manager.exits.get(pid, "?")

    def reload_service(self, name):
        if name not in self.services:
            raise RuntimeError("%s is not active" % name)
        u = load_unit(name)
        pw, gid = self.identity(u)
        env = self.environment(name, u, pw)
        for cmd in values(u, "Service", "ExecReload"):
            self.spawn(name, u, cmd, env, wait=True)
        return "reloaded"

    # --- the loop ------------------------------------------------------
    exits = {}

    def reap(self):
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            Manager.exits[pid] = os.waitstatus_to_exitcode(status)

    def handle(self, verb, unit):
        if unit.endswith(".timer"):
            # Timers are not emulated: the test starts their service.
            load_unit(unit)
            return "waiting (timers are not emulated)"
        if unit in ("nginx", "nginx.service"):
            hook = os.environ.get("PASSION_UNITRUN_NGINX")
            subprocess.run([hook, verb], check=True)
            return "nginx " + verb
        if verb == "start":
            return (self.start_socket if unit.endswith(".socket")
                    else self.start_service)(unit)
        if verb == "stop":
            return (self.stop_socket if unit.endswith(".socket")
                    else self.stop_service)(unit)
        if verb == "restart":
            if unit.endswith(".socket"):
                self.stop_socket(unit)
                return self.start_socket(unit)
            self.stop_service(unit)
            return self.start_service(unit)
        if verb == "reload":
            return self.reload_service(unit)
        if verb == "is-active":
            on = unit in self.sockets or (unit in self.services and
                                          alive(self.services[unit]))
            if not on:
                raise RuntimeError("inactive")
            return "active"
        if verb == "mainpid":
            return str(self.services.get(unit, 0))
        raise RuntimeError("unknown verb " + verb)

    def serve(self, control):
        signal.signal(signal.SIGCHLD, lambda *_: None)
        while True:
            self.reap()
            self.drain_notify()
            control.settimeout(0.2)
            try:
                conn, _ = control.accept()
            except socket.timeout:
                continue
            with conn:
                req = json.loads(conn.makefile().readline())
                try:
                    if req["verb"] == "shutdown":
                        for s in list(self.services):
                            self.stop_service(s)
                        for s in list(self.sockets):
                            self.stop_socket(s)
                        conn.sendall(b'{"ok":true,"msg":"bye"}\n')
                        return
                    msg = self.handle(req["verb"], req["unit"])
                    conn.sendall(json.dumps({"ok": True, "msg": msg}).encode()
                                 + b"\n")
                except Exception as e:     # the reply says what went wrong
                    conn.sendall(json.dumps({"ok": False, "msg": str(e)})
                                 .encode() + b"\n")


def alive(pid):
    if pid in Manager.exits:
        return False
    try:        # a child of ours: reap it, and keep how it ended
        done, status = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            Manager.exits[pid] = os.waitstatus_to_exitcode(status)
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def request(state, verb, unit=""):
    path = os.path.join(state, "control")
    if not os.path.exists(path):
        if verb == "shutdown":
            return True, "not running"
        log = open(os.path.join(state, "manager.log"), "ab")
        subprocess.Popen([sys.executable, __file__, state, "--manager"],
                         start_new_session=True, stdin=subprocess.DEVNULL,
                         stdout=log, stderr=log)
        for _ in range(100):
            if os.path.exists(path):
                break
            time.sleep(0.05)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.sendall(json.dumps({"verb": verb, "unit": unit}).encode() + b"\n")
    reply = json.loads(s.makefile().readline())
    return reply["ok"], reply["msg"]


def enabled_path(unit):
    return os.path.join(STATE, "enabled", unit)


def main(argv):
    global STATE
    STATE = argv[1]
    os.makedirs(os.path.join(STATE, "enabled"), exist_ok=True)
    if argv[2:] == ["--manager"]:
        control = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        tmp = os.path.join(STATE, "control.new")
        if os.path.exists(tmp):
            os.unlink(tmp)
        control.bind(tmp)
        control.listen(8)
        os.rename(tmp, os.path.join(STATE, "control"))
        try:
            Manager(STATE).serve(control)
        finally:
            os.unlink(os.path.join(STATE, "control"))
        return 0
    if argv[2:] == ["--shutdown"]:
        return 0 if request(STATE, "shutdown")[0] else 1
    args = [a for a in argv[2:] if a not in ("--quiet", "-q", "--no-block")]
    now = "--now" in args
    args = [a for a in args if a != "--now"]
    verb = args[0]
    if verb == "show" and args[1:3] == ["-p", "MainPID"]:
        verb, args = "mainpid", args[2:]
    units = [u if "." in u or u == "nginx" else u + ".service"
             for u in args[1:]]
    if verb == "daemon-reload":
        return 0
    if verb in ("enable", "disable"):
        for u in units:
            load_unit(u)
            if verb == "enable":
                open(enabled_path(u), "w").close()
                print("Created symlink for %s (unitrun)." % u)
            elif os.path.exists(enabled_path(u)):
                os.unlink(enabled_path(u))
        if not now:
            return 0
        verb = "start" if verb == "enable" else "stop"
    if verb == "is-enabled":
        on = all(os.path.exists(enabled_path(u)) for u in units)
        print("enabled" if on else "disabled")
        return 0 if on else 1
    if verb == "try-restart":
        verb = "restart"
    rc = 0
    for u in units:
        ok, msg = request(STATE, verb, u)
        if verb == "mainpid":
            print("MainPID=" + msg)
        elif verb == "is-active":
            print("active" if ok else "inactive")
        elif not ok:
            print("systemctl %s %s: %s" % (verb, u, msg), file=sys.stderr)
        rc = rc or (0 if ok else 1)
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv))
