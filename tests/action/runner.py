"""A small stand-in for the GitHub Actions runner: runs a composite action's steps locally.

It does what the runner does for ``action.yml`` and no more: fills in the inputs and their
defaults, evaluates the few expressions the action uses (``inputs.x``, ``github.action_path``,
``runner.temp``, ``steps.<id>.outputs.<name>``, and ``==`` / ``!=`` against a string in
``if:``), runs each ``run:`` step with ``bash --noprofile --norc -eo pipefail`` and the
environment files (``GITHUB_OUTPUT``, ``GITHUB_ENV``, ``GITHUB_PATH``,
``GITHUB_STEP_SUMMARY``), stops at the first failing step, and evaluates the action's
``outputs``. An expression or a ``uses:`` step it cannot run is an error, so the action
cannot silently grow beyond what this test checks.

It also reads the steps' output for workflow commands as the runner does (``::error …::``,
``::add-mask::``…), honouring ``::stop-commands::TOKEN`` until ``::TOKEN::``, and keeps
each step's environment, so a test can say which annotations a run made and which step saw
which variable.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
COMPARISON = re.compile(r"^([\w.-]+)\s*(==|!=)\s*'([^']*)'$")
PATH = re.compile(r"^[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*)*$")
COMMAND = re.compile(r"^::([A-Za-z0-9_-]+)(?: ([^:]*))?::(.*)$")
GITHUB_TOKEN = "ghs_simulated-github-token"


@dataclass
class Runner:
    """One simulated job: a workspace, a temp dir, an event, and a base environment."""

    action: Path
    workspace: Path
    temp: Path
    env: dict[str, str]
    event: dict[str, Any] = field(default_factory=dict)
    event_name: str = "pull_request"

    def run(self, inputs: dict[str, str], env: dict[str, str] | None = None) -> ActionRun:
        spec = yaml.safe_load((self.action / "action.yml").read_text())
        context = self._context(spec, inputs)
        result = ActionRun()
        base = {**self._environment(), **(env or {})}
        for number, step in enumerate(spec["runs"]["steps"]):
            if "if" in step and not truthy(evaluate(step["if"], context)):
                continue
            if "uses" in step:
                raise NotImplementedError(f"step {number} uses {step['uses']}: not simulated")
            code = self._step(number, step, context, base, result)
            if code != 0:
                result.code = code
                break
        result.outputs = {
            name: substitute(str(out["value"]), context)
            for name, out in (spec.get("outputs") or {}).items()
        }
        return result

    def _context(self, spec: dict[str, Any], inputs: dict[str, str]) -> dict[str, Any]:
        declared = spec.get("inputs") or {}
        unknown = set(inputs) - set(declared)
        assert not unknown, f"inputs the action does not declare: {unknown}"
        github = {
            "action_path": str(self.action),
            "workspace": str(self.workspace),
            "token": self.env.get("SIMULATED_GITHUB_TOKEN", GITHUB_TOKEN),
            "event": self.event,
        }
        context: dict[str, Any] = {"github": github, "runner": {"temp": str(self.temp)}}
        values = {n: substitute(str(d.get("default", "")), context) for n, d in declared.items()}
        values.update(inputs)
        missing = [n for n, d in declared.items() if d.get("required") and not values[n]]
        assert not missing, f"required inputs missing: {missing}"
        return {**context, "inputs": values, "steps": {}}

    def _environment(self) -> dict[str, str]:
        event = self.temp / "event.json"
        event.write_text(json.dumps(self.event))
        return {
            **self.env,
            "CI": "true",
            "GITHUB_ACTIONS": "true",
            "GITHUB_ACTION_PATH": str(self.action),
            "GITHUB_WORKSPACE": str(self.workspace),
            "GITHUB_EVENT_PATH": str(event),
            "GITHUB_EVENT_NAME": self.event_name,
            "GITHUB_REPOSITORY": "example/identity",
            "RUNNER_TEMP": str(self.temp),
        }

    def _step(
        self,
        number: int,
        step: dict[str, Any],
        context: dict[str, Any],
        base: dict[str, str],
        result: ActionRun,
    ) -> int:
        assert step.get("shell") == "bash", f"step {number}: only shell: bash is simulated"
        files = {
            name: self.temp / f"step{number}.{name.lower()}"
            for name in ("GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_PATH", "GITHUB_STEP_SUMMARY")
        }
        for path in files.values():
            path.write_text("")
        env = {**base, **result.env, **{k: str(v) for k, v in files.items()}}
        env.update({k: substitute(str(v), context) for k, v in (step.get("env") or {}).items()})
        env["PATH"] = os.pathsep.join([*reversed(result.path), env["PATH"]])
        script = self.temp / f"step{number}.sh"
        script.write_text(substitute(step["run"], context))
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=self.workspace,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        result.log += done.stdout + done.stderr
        result.steps.append(StepRun(step.get("name", str(number)), env, done.returncode))
        result.commands += workflow_commands(done.stdout + done.stderr)
        result.summary += files["GITHUB_STEP_SUMMARY"].read_text()
        result.env.update(parse_file_command(files["GITHUB_ENV"].read_text()))
        result.path += [line for line in files["GITHUB_PATH"].read_text().splitlines() if line]
        if "id" in step:
            outputs = parse_file_command(files["GITHUB_OUTPUT"].read_text())
            context["steps"][step["id"]] = {"outputs": outputs}
        return done.returncode


@dataclass
class StepRun:
    name: str
    env: dict[str, str]
    code: int


@dataclass
class ActionRun:
    code: int = 0
    outputs: dict[str, str] = field(default_factory=dict)
    summary: str = ""
    log: str = ""
    env: dict[str, str] = field(default_factory=dict)
    path: list[str] = field(default_factory=list)
    steps: list[StepRun] = field(default_factory=list)
    commands: list[tuple[str, str, str]] = field(default_factory=list)
    """(command, properties, message) of each workflow command the runner would act on."""

    def annotations(self) -> list[tuple[str, str, str]]:
        return [c for c in self.commands if c[0] in ("error", "warning", "notice")]


def workflow_commands(output: str) -> list[tuple[str, str, str]]:
    """The workflow commands in a step's output, as the runner reads them line by line."""
    found: list[tuple[str, str, str]] = []
    stopped: str | None = None
    for line in output.splitlines():
        match = COMMAND.match(line.strip())
        if match is None:
            continue
        name, properties, message = match[1], match[2] or "", match[3]
        if stopped is not None:
            if name == stopped and not properties:
                stopped = None
            continue
        if name == "stop-commands":
            stopped = message
            continue
        found.append((name, properties, message))
    return found


def parse_file_command(text: str) -> dict[str, str]:
    """``name=value`` lines and ``name<<DELIMITER`` blocks, as the runner reads them."""
    values: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            body = []
            for inner in lines:
                if inner == delimiter:
                    break
                body.append(inner)
            values[name] = "\n".join(body)
        elif "=" in line:
            name, value = line.split("=", 1)
            values[name] = value
    return values


def substitute(text: str, context: dict[str, Any]) -> str:
    return EXPRESSION.sub(lambda m: str(evaluate(m[1], context)), text)


def evaluate(expression: str, context: dict[str, Any]) -> Any:
    expression = EXPRESSION.sub(lambda m: m[1], expression.strip())
    comparison = COMPARISON.match(expression)
    if comparison:
        left, operator, right = comparison.groups()
        equal = str(lookup(left, context)) == right
        return equal if operator == "==" else not equal
    if PATH.match(expression):
        return lookup(expression, context)
    raise NotImplementedError(f"expression not simulated: {expression!r}")


def lookup(path: str, context: dict[str, Any]) -> Any:
    value: Any = context
    for part in path.split("."):
        value = value.get(part, "") if isinstance(value, dict) else ""
    return value


def truthy(value: Any) -> bool:
    return value not in (False, "", None, 0, "false")
