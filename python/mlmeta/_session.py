"""The command `mlmeta run` waits on for a notebook run (mlmeta.start_run).

It names the run's folder on its stdout (the notebook reads it), then waits until the
notebook writes `end` (its exit code) into that folder, or until the notebook's process is
gone (a dead kernel: a failed run, with whatever was logged until then).
"""
import os
import sys
import time


def main():
    folder = os.environ.get("MLMETA_RUN_DIR")
    owner = int(os.environ.get("MLMETA_SESSION_PID", "0"))
    if not folder or owner <= 0:
        sys.stderr.write("mlmeta._session is started by mlmeta.start_run()\n")
        return 2
    sys.stdout.write("MLMETA_RUN_DIR=%s\n" % folder)
    sys.stdout.flush()
    end = os.path.join(folder, "end")
    while True:
        try:
            with open(end) as f:
                return int(f.read().strip() or "1")
        except (FileNotFoundError, ValueError):
            pass
        try:
            os.kill(owner, 0)
        except ProcessLookupError:
            return 1
        except PermissionError:
            pass
        time.sleep(0.05)


if __name__ == "__main__":
    sys.exit(main())
