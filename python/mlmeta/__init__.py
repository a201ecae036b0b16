"""Log params, metrics and training curves into mlmeta's lineage records.

Inside ``mlmeta run -- python train.py`` nothing needs setting up: ``run`` makes this module
importable and names a private folder in ``MLMETA_RUN_DIR``; the functions below append JSON
lines there (docs/PROTOCOL.md) and ``run`` folds them into its records when the command ends.
Outside ``run`` (and without ``start_run``) logging warns once and does nothing, so a script
runs unchanged.

    import mlmeta
    mlmeta.log_params({"lr": 0.01, "epochs": 10})
    for step in range(1000):
        mlmeta.log_metric("loss", loss, step=step)

Values: metrics are numbers (int, float, numpy/torch scalars through ``.item()``, any
``numbers.Real``); NaN and +-inf are kept in the curve (a diverged loss is worth seeing) but
are never a final value. A bool or a string metric raises TypeError. Params are JSON-like
(str, int, finite float, bool, None, lists, dicts with str keys; paths become strings; numpy
scalars through ``.item()``); anything else raises TypeError, NaN raises ValueError. Tags
are text (``str(value)``). A bad value raises at the call, before anything is written.

Notebooks: ``start_run(...)`` / ``end_run()`` (or ``with mlmeta.start_run(...):``) records a
run without wrapping a command, capturing code and data the way ``mlmeta run`` does. The read
side (``show``, ``lineage``, ``find``, ``history``) returns dicts from the CLI's ``--json``.

Standard library only; Python 3.9+.
"""
import atexit
import json
import math
import numbers
import os
import shutil
import subprocess
import sys
import threading
import time
import warnings

__all__ = [
    "log_param", "log_params", "log_metric", "log_metrics", "log_input", "log_output", "set_tag",
    "flush", "start_run", "end_run", "active", "show", "lineage", "find", "history", "MlmetaError",
]
__version__ = "0.1.0"

RUN_DIR_ENV = "MLMETA_RUN_DIR"
_FLUSH_BYTES = 1 << 16
_FLUSH_SECONDS = 1.0


class MlmetaError(Exception):
    """A failure reported by the mlmeta CLI (``error[CODE]: message``)."""

    def __init__(self, code, message):
        super().__init__("%s: %s" % (code, message))
        self.code = code
        self.message = message


# ---------------------------------------------------------------- values

def _check_name(name, what):
    if not isinstance(name, str) or not 0 < len(name) <= 200 or any(ord(c) < 32 or 127 <= ord(c) <= 159 for c in name):
        raise ValueError("mlmeta: %s name %r is not a printable string of 1-200 characters" % (what, name))
    segs = name.split(".")
    if len(segs) > 16 or any(s in ("", "__proto__", "constructor", "prototype") for s in segs):
        raise ValueError("mlmeta: %s name %r has an empty or reserved dotted segment (or more than 16)" % (what, name))
    return name


def _scalar(value):
    """numpy/torch scalars (and 0-d arrays, 1-element tensors) through .item(); duck-typed, no import."""
    if isinstance(value, (str, bytes, bool, int, float)) or value is None:
        return value
    item = getattr(value, "item", None)
    if callable(item):
        try:
            return item()
        except Exception as e:  # a numpy array of many values, say
            raise TypeError("mlmeta: %s value has .item() but is not a single value (%s)" % (type(value).__name__, e)) from None
    return value


def _metric_text(name, value):
    """The JSON text of a metric value: a number, or "nan"/"inf"/"-inf"."""
    v = _scalar(value)
    if isinstance(v, bool):
        raise TypeError("mlmeta: metric %r: a bool is not a metric value; log 1 or 0" % name)
    if isinstance(v, int):
        return str(int(v))
    if not isinstance(v, float):
        if isinstance(v, numbers.Real) and not isinstance(v, (str, bytes)):
            v = float(v)
        else:
            raise TypeError("mlmeta: metric %r: %s %.40r is not a number" % (name, type(value).__name__, value))
    if math.isfinite(v):
        return repr(float(v))
    return '"nan"' if math.isnan(v) else ('"inf"' if v > 0 else '"-inf"')


def _step_text(name, step):
    s = _scalar(step)
    if isinstance(s, bool) or not isinstance(s, int):
        try:
            s = s.__index__() if not isinstance(s, bool) else None
        except Exception:
            s = None
        if s is None:
            raise TypeError("mlmeta: metric %r: step %.40r is not a whole number" % (name, step))
    if s < 0 or s > 2 ** 53 - 1:
        raise ValueError("mlmeta: metric %r: step %d is not between 0 and 2**53-1" % (name, s))
    return s


def _param_value(v, where, depth=0):
    if depth > 32:
        raise ValueError("mlmeta: %s is nested too deeply" % where)
    v = _scalar(v)
    if v is None or isinstance(v, (str, bool, int)):
        return v
    if isinstance(v, float):
        if not math.isfinite(v):
            raise ValueError("mlmeta: %s is %r; a record holds only finite numbers (log a string if you mean it)" % (where, v))
        return v
    if isinstance(v, os.PathLike):
        return os.fspath(v)
    if isinstance(v, (list, tuple)):
        return [_param_value(x, "%s[%d]" % (where, i), depth + 1) for i, x in enumerate(v)]
    if isinstance(v, dict):
        out = {}
        for k, x in v.items():
            if not isinstance(k, str) or k in ("__proto__", "constructor", "prototype"):
                raise TypeError("mlmeta: %s: key %r is not allowed (keys are strings)" % (where, k))
            out[k] = _param_value(x, "%s.%s" % (where, k), depth + 1)
        return out
    if isinstance(v, numbers.Real):
        return _param_value(float(v), where, depth)
    raise TypeError("mlmeta: %s: a %s cannot be recorded (use str, numbers, bool, None, lists or dicts)" % (where, type(v).__name__))


# ---------------------------------------------------------------- writing

class _Writer:
    """Lines for one protocol folder: a file per process, buffered, written whole lines at a time.

    A file per process (``py-<pid>-<n>.jsonl``) means concurrent writers never share a file;
    forked children get their own file and write every line at once (they may leave through
    os._exit, which skips atexit). Buffered lines are written when 64 KiB or 1 s old, by
    flush(), end_run() and at exit; a process killed by a signal loses at most those.
    """

    def __init__(self, folder):
        self.folder = folder
        self.lock = threading.Lock()
        self.fd = None
        self.pid = None
        self.buf = []
        self.size = 0
        self.since = time.monotonic()
        self.unbuffered = False
        self.steps = {}

    def _open(self):
        pid = os.getpid()
        if self.fd is None or self.pid != pid:
            if self.pid is not None and self.pid != pid:
                # a forked child: the parent's pending lines are the parent's to write
                self.buf, self.size, self.unbuffered = [], 0, True
            n = 0
            while True:
                name = os.path.join(self.folder, "py-%d-%d.jsonl" % (pid, n))
                try:
                    self.fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o600)
                    break
                except FileExistsError:
                    n += 1
            self.pid = pid

    def write(self, line):
        with self.lock:
            self.buf.append(line)
            self.size += len(line)
            if self.unbuffered or self.size >= _FLUSH_BYTES or time.monotonic() - self.since >= _FLUSH_SECONDS:
                self._flush()

    def _flush(self):
        self.since = time.monotonic()
        if not self.buf:
            return
        data = "".join(self.buf).encode("utf-8")
        self.buf, self.size = [], 0
        self._open()
        view = memoryview(data)
        while view:
            view = view[os.write(self.fd, view):]

    def flush(self):
        with self.lock:
            try:
                self._flush()
            except OSError as e:
                # the folder is gone (the run ended): say so, never crash the training
                _warn_once("mlmeta: cannot write logged values (%s); they are lost" % e)

    def next_step(self, name):
        s = self.steps.get(name, 0)
        self.steps[name] = s + 1
        return s

    def saw_step(self, name, step):
        if step + 1 > self.steps.get(name, 0):
            self.steps[name] = step + 1

    def close(self):
        self.flush()
        if self.fd is not None and self.pid == os.getpid():
            os.close(self.fd)
        self.fd = None


_writer = None
_env_checked = False
_warned = set()
_session = None


def _warn_once(msg):
    if msg not in _warned:
        _warned.add(msg)
        warnings.warn(msg, RuntimeWarning, stacklevel=4)


def _current():
    """The writer for the active run, or None (outside run: warn once, do nothing)."""
    global _writer, _env_checked
    if _session is not None:
        return _session.writer
    if not _env_checked:
        _env_checked = True
        folder = os.environ.get(RUN_DIR_ENV)
        if folder and os.path.isdir(folder):
            _writer = _Writer(folder)
        elif folder:
            _warn_once("mlmeta: %s=%s is not a folder (did its run end?); logging does nothing" % (RUN_DIR_ENV, folder))
    if _writer is None:
        _warn_once("mlmeta: not inside `mlmeta run` or start_run(); logging does nothing")
    return _writer


def _after_fork_in_child():
    # A forked child keeps the writer but must open its own file: _open sees the new pid.
    if _writer is not None:
        _writer.unbuffered = True
    if _session is not None:
        _session.writer.unbuffered = True


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _now_ms():
    return int(time.time() * 1000)


def log_param(name, value):
    """Record one param (dotted names nest: ``opt.lr``). A later value for a name wins."""
    _check_name(name, "param")
    text = json.dumps({"param": name, "value": _param_value(value, "param %s" % name)}, allow_nan=False) + "\n"
    w = _current()
    if w is not None:
        w.write(text)


def log_params(params):
    """Record several params from a dict."""
    if not isinstance(params, dict):
        raise TypeError("mlmeta: log_params takes a dict, not a %s" % type(params).__name__)
    for k in params:
        _check_name(k, "param")
    text = json.dumps({"params": {k: _param_value(v, "param %s" % k) for k, v in params.items()}}, allow_nan=False) + "\n"
    w = _current()
    if w is not None:
        w.write(text)


_name_json = {}


def _quoted(name):
    q = _name_json.get(name)
    if q is None:
        _check_name(name, "metric")
        q = _name_json[name] = json.dumps(name)
    return q


def log_metric(name, value, step=None):
    """One point of a metric's curve. Without ``step``, the metric's next step (0, 1, 2, ...)."""
    q = _quoted(name)
    v = _metric_text(name, value)
    s = None if step is None else _step_text(name, step)
    w = _current()
    if w is None:
        return
    if s is None:
        s = w.next_step(name)
    else:
        w.saw_step(name, s)
    w.write('{"metric":%s,"value":%s,"step":%d,"time":%d}\n' % (q, v, s, _now_ms()))


def log_metrics(metrics, step=None):
    """Several metrics at one step (one line)."""
    if not isinstance(metrics, dict):
        raise TypeError("mlmeta: log_metrics takes a dict, not a %s" % type(metrics).__name__)
    parts = ["%s:%s" % (_quoted(k), _metric_text(k, v)) for k, v in metrics.items()]
    s = None if step is None else _step_text("log_metrics", step)
    w = _current()
    if w is None or not parts:
        return
    if s is None:
        # one step for the line: past the highest any of these metrics has reached
        s = max(w.steps.get(k, 0) for k in metrics)
    for k in metrics:
        w.saw_step(k, s)
    w.write('{"metrics":{%s},"step":%d,"time":%d}\n' % (",".join(parts), s, _now_ms()))


def _path_or_ref(p, what):
    p = os.fspath(p)
    if not isinstance(p, str) or not p or "\0" in p:
        raise ValueError("mlmeta: %s %r is not a path or dataset ref" % (what, p))
    # An existing path is made absolute (the script may have changed folder); anything else
    # stays as given: a dataset ref (``train-data@2``) or a path relative to where run started.
    return os.path.abspath(p) if os.path.exists(p) else p


def log_input(path):
    """Data the script read: a file or folder (hashed into a dataset after the run) or a dataset ref."""
    text = json.dumps({"input": _path_or_ref(path, "input")}) + "\n"
    w = _current()
    if w is not None:
        w.write(text)


def log_output(path):
    """A file or folder the script wrote: hashed into the run's outputs (and the model) if it succeeds."""
    text = json.dumps({"output": _path_or_ref(path, "output")}) + "\n"
    w = _current()
    if w is not None:
        w.write(text)


def set_tag(name, value):
    """A free-text label on the run (``str(value)`` is recorded)."""
    _check_name(name, "tag")
    text = json.dumps({"tag": name, "value": str(value)}) + "\n"
    w = _current()
    if w is not None:
        w.write(text)


def flush():
    """Write buffered lines now (they are written within 1 s anyway, and at exit)."""
    for w in (_writer, _session.writer if _session else None):
        if w is not None:
            w.flush()


def _at_exit():
    if _session is not None:
        try:
            end_run("failed" if _session.crashed else "succeeded")
        except Exception as e:  # at exit there is no one left to raise to
            sys.stderr.write("mlmeta: could not record the run at exit: %s\n" % e)
    if _writer is not None:
        _writer.close()


atexit.register(_at_exit)


# ---------------------------------------------------------------- the CLI

def _cli_command():
    """MLMETA_BIN, else `mlmeta` on PATH, else node + this package's bin/mlmeta.js."""
    def with_node(js):
        node = shutil.which("node") or shutil.which("nodejs")
        if node is None:
            raise MlmetaError("E_NOT_FOUND", "node is not on PATH (needed to run %s)" % js)
        return [node, js]

    given = os.environ.get("MLMETA_BIN")
    if given:
        return with_node(given) if given.endswith((".js", ".cjs", ".mjs")) else [given]
    found = shutil.which("mlmeta")
    if found:
        return [found]
    js = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "bin", "mlmeta.js")
    if os.path.isfile(js):
        return with_node(js)
    raise MlmetaError("E_NOT_FOUND", "cannot find the mlmeta CLI: set MLMETA_BIN or put mlmeta on PATH")


def _raise_from(stderr, code):
    for line in stderr.splitlines():
        if line.startswith("error["):
            c, _, msg = line[6:].partition("]: ")
            raise MlmetaError(c, msg)
    raise MlmetaError("E_INTERNAL", "mlmeta exited %s: %s" % (code, stderr.strip()[-500:]))


def _ref(ref):
    # A ref goes on the command line as a positional: one that starts with '-' would be read
    # as an option (``--store=/elsewhere``). No id, prefix or name starts with '-'.
    if not isinstance(ref, str) or not ref or ref.startswith("-"):
        raise MlmetaError("E_BAD_REF", "not a ref: %r (an id, prefix, NAME, NAME@N or NAME@ALIAS)" % (ref,))
    return ref


def _opt(flag, value):
    # --flag=VALUE: a value that starts with '-' stays the flag's value, never a new option.
    return "%s=%s" % (flag, value)


def _json(args):
    r = subprocess.run(_cli_command() + ["--json"] + args, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    if r.returncode != 0:
        _raise_from(r.stderr, r.returncode)
    return json.loads(r.stdout)


def show(ref):
    """A record as a dict: {"id", "record", "parents"}."""
    return _json(["show", _ref(ref)])


def history(ref, metric):
    """One metric's curve: {"metric", "count", "min", "max", "last", "points": [{"step", "value", "time"}]}."""
    return _json(["show", _ref(ref), _opt("--history", metric)])


def lineage(ref, down=False, depth=None):
    """Ancestors of REF (or descendants with down=True) as a dict."""
    args = ["lineage", _ref(ref), "--down" if down else "--up"]
    if depth is not None:
        args.append(_opt("--depth", depth))
    return _json(args)


def find(where=None, kind=None, name=None, sort=None, limit=None):
    """Records matching ``where`` (e.g. "metrics.auc > 0.9"), as a list of dicts."""
    args = ["find"]
    for w in ([where] if isinstance(where, str) else (where or [])):
        args.append(_opt("--where", w))
    for flag, v in (("--kind", kind), ("--name", name), ("--sort", sort), ("--limit", limit)):
        if v is not None:
            args.append(_opt(flag, v))
    return _json(args)


# ---------------------------------------------------------------- notebook runs

class _Session:
    """A run without a command: `mlmeta run` waits on a small child (mlmeta._session) while the
    notebook logs into the run's folder; end_run() tells the child to exit with a status."""

    def __init__(self, proc, folder):
        self.proc = proc
        self.folder = folder
        self.writer = _Writer(folder)
        self.crashed = False
        self.result = None

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        end_run("failed" if kind is not None else "succeeded")
        return False


def active():
    """Whether logging goes anywhere (inside `mlmeta run` or between start_run and end_run)."""
    if _session is not None:
        return True
    folder = os.environ.get(RUN_DIR_ENV)
    return bool(folder and os.path.isdir(folder))


_hooked = False


def _hook_excepthook():
    global _hooked
    if _hooked:
        return
    _hooked = True
    previous = sys.excepthook

    def hook(kind, exc, tb):
        if _session is not None:
            _session.crashed = True
        previous(kind, exc, tb)

    sys.excepthook = hook

    # SystemExit never reaches the excepthook, and atexit cannot see the exit status:
    # `sys.exit(N)` with N other than 0/None marks the session failed on its way out.
    # (A bare `raise SystemExit(N)` is not seen: call end_run("failed") first.)
    previous_exit = sys.exit

    def exit_hook(status=None):
        if _session is not None and status not in (None, 0):
            _session.crashed = True
        previous_exit(status)

    sys.exit = exit_hook


def start_run(name=None, model=None, inputs=(), outputs=(), params=None, message=None, code=None):
    """Start recording a run from this process (a notebook, an ad-hoc script).

    Code state and ``inputs`` are captured now, as ``mlmeta run`` does before its command;
    ``outputs`` are hashed at end_run. Returns a context manager that ends the run (failed
    if the block raised). Raises MlmetaError if mlmeta refuses (e.g. a bad name).
    """
    global _session
    if _session is not None:
        raise MlmetaError("E_USAGE", "a run is already active; call end_run() first")
    args = ["--json", "run"]
    if name is not None:
        args.append(_opt("--name", name))
    if model is not None:
        args.append(_opt("--model", model))
    for i in ([inputs] if isinstance(inputs, (str, os.PathLike)) else inputs):
        args.append(_opt("--input", os.fspath(i)))
    for o in ([outputs] if isinstance(outputs, (str, os.PathLike)) else outputs):
        args.append(_opt("--output", os.fspath(o)))
    if message is not None:
        args.append(_opt("--message", message))
    if code is not None:
        args.append(_opt("--code", code))
    env = dict(os.environ, MLMETA_SESSION_PID=str(os.getpid()))
    env.pop(RUN_DIR_ENV, None)
    proc = subprocess.Popen(
        _cli_command() + args + ["--", sys.executable, "-m", "mlmeta._session"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
    )
    # Under --json the command's stdout comes on mlmeta's stderr: the child names its folder.
    before = []
    for raw in proc.stderr:
        line = raw.decode("utf-8", "replace").rstrip("\n")
        if line.startswith(RUN_DIR_ENV + "="):
            _session = _Session(proc, line[len(RUN_DIR_ENV) + 1:])
            break
        before.append(line)
    else:
        proc.wait()
        _raise_from("\n".join(before), proc.returncode)
    _hook_excepthook()
    if params:
        log_params(params)
    return _session


def end_run(status="succeeded"):
    """End the run started by start_run: "succeeded" or "failed" (or an exit code).

    Returns mlmeta's result: {"run": id, "model": id (on success with model=), "exitCode", ...}.
    """
    global _session
    s = _session
    if s is None:
        raise MlmetaError("E_USAGE", "no run is active; call start_run() first")
    if isinstance(status, bool) or not (status in ("succeeded", "failed") or (isinstance(status, int) and 0 <= status <= 255)):
        raise ValueError("mlmeta: end_run status must be 'succeeded', 'failed' or an exit code 0-255, not %r" % (status,))
    code = 0 if status == "succeeded" else 1 if status == "failed" else status
    _session = None
    s.writer.close()
    tmp = os.path.join(s.folder, "end.tmp")
    with open(tmp, "w") as f:
        f.write(str(code))
    os.replace(tmp, os.path.join(s.folder, "end"))
    out, err = s.proc.communicate()
    err = err.decode("utf-8", "replace")
    for line in err.splitlines():
        if line.startswith("warning:"):
            sys.stderr.write("mlmeta: %s\n" % line)
    try:
        s.result = json.loads(out.decode("utf-8")) if out.strip() else None
    except ValueError:
        s.result = None
    if s.result is None:
        _raise_from(err, s.proc.returncode)
    return s.result
