"""The tests' renderer: `python -m manim render`, with manim and the scenes imported once per xdist worker.

A render test's command is the same as before; what changes is who runs it. This process imports manim and the
project's scene modules, then, for each request (one JSON line on stdin: the manim arguments, the environment, the
folder to run in and a log file), forks a child that runs manim's own command line exactly as ``python -m manim``
would, its output into the log. The child starts from the state right after the imports (this process renders
nothing itself), so every render is as fresh as a new interpreter's, without the second and a half of imports each
one paid. One JSON line answers each request: the child's exit code.
"""

from __future__ import annotations

import json
import os
import sys
import traceback


def _render(request: dict) -> int:
    """In the forked child: run manim's command line; never returns."""
    code = 1
    try:
        log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.close(log)
        os.environ.clear()
        os.environ.update(request["env"])
        os.chdir(request["cwd"])
        from manim.__main__ import main

        sys.argv = ["manim", *request["args"]]
        try:
            main(args=request["args"], prog_name="manim")
            code = 0
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
    except BaseException:  # the child reports everything in its log, as a failing interpreter would
        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def main() -> None:
    import manim  # noqa: F401  (the imports every render needs, made once)
    import manim.__main__  # noqa: F401
    import manim_voiceover  # noqa: F401

    import scenes.charts  # noqa: F401
    import scenes.narration.scene  # noqa: F401
    import scenes.pictures  # noqa: F401
    import scenes.words  # noqa: F401

    answers = sys.stdout
    for line in sys.stdin:
        request = json.loads(line)
        answers.flush()
        sys.stderr.flush()
        child = os.fork()
        if child == 0:
            _render(request)
        _, status = os.waitpid(child, 0)
        answers.write(json.dumps({"code": os.waitstatus_to_exitcode(status)}) + "\n")
        answers.flush()


if __name__ == "__main__":
    main()
