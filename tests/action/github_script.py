"""A workflow template's actions/github-script step, run with node against the fake GitHub
API (tests/github/fakeapi.py) over HTTP, as the runner would run it after the action.

The script is taken from the template as it is; ``github.rest`` is a small client of the
REST calls the templates make (pulls.get, issues.listComments/createComment/updateComment,
checks.create) and ``github.paginate``; ``core`` records ``setFailed``. What the script
wrote is in the fake's state (its comments, its check runs).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import ROOT
from tests.github.fakeapi import FakeGitHub
from tests.needs import tool

TEMPLATES = ROOT / "examples" / "github"

HARNESS = r"""
const fs = require('fs');
const [scriptPath, contextPath] = process.argv.slice(2);
const given = JSON.parse(fs.readFileSync(contextPath, 'utf8'));
const repo = `/repos/${given.repository}`;
const call = async (method, path, body) => {
  const response = await fetch(given.api + path, {
    method,
    headers: { authorization: `Bearer ${given.token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await response.json();
  if (!response.ok) throw Object.assign(new Error(data.message), { status: response.status });
  return { data };
};
const query = (params) => `per_page=${params.per_page || 30}&page=${params.page || 1}`;
const github = {
  paginate: async (method, params) => {
    const all = [];
    for (let page = 1; ; page += 1) {
      const { data } = await method({ ...params, page });
      all.push(...data);
      if (data.length < (params.per_page || 30)) return all;
    }
  },
  rest: {
    pulls: { get: (p) => call('GET', `${repo}/pulls/${p.pull_number}`) },
    issues: {
      listComments: (p) => call('GET', `${repo}/issues/${p.issue_number}/comments?${query(p)}`),
      createComment: (p) =>
        call('POST', `${repo}/issues/${p.issue_number}/comments`, { body: p.body }),
      updateComment: (p) =>
        call('PATCH', `${repo}/issues/comments/${p.comment_id}`, { body: p.body }),
    },
    checks: {
      create: ({ owner, repo: name, ...rest }) => call('POST', `${repo}/check-runs`, rest),
    },
  },
};
const failed = [];
const core = { setFailed: (m) => failed.push(String(m)), info: () => {}, warning: () => {} };
const [owner, name] = given.repository.split('/');
const context = {
  repo: { owner, repo: name }, runId: given.runId, serverUrl: 'https://github.com',
  payload: given.payload,
};
const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor;
new AsyncFunction('require', 'github', 'context', 'core', fs.readFileSync(scriptPath, 'utf8'))(
  require, github, context, core,
).then(() => console.log(JSON.stringify(failed)), (error) => {
  console.error(error);
  process.exit(1);
});
"""


def step_script(workflow: str, job: str, name_starts: str) -> str:
    """The script of the github-script step of ``job`` whose name starts so."""
    data = yaml.safe_load((TEMPLATES / workflow).read_text())
    (step,) = [s for s in data["jobs"][job]["steps"] if str(s.get("name")).startswith(name_starts)]
    return str(step["with"]["script"])


def run_script(
    fake: FakeGitHub,
    script: str,
    payload: dict[str, Any],
    env: dict[str, str],
    scratch: Path,
    run_id: int = 99,
) -> list[str]:
    """Run ``script`` with node against ``fake``; what it passed to ``core.setFailed``."""
    node = tool("node", "apt-get install nodejs")
    scratch.mkdir(parents=True, exist_ok=True)
    (scratch / "harness.js").write_text(HARNESS)
    (scratch / "script.js").write_text(script)
    given = {
        "api": fake.url,
        "token": fake.token,
        "repository": fake.repository,
        "payload": payload,
        "runId": run_id,
    }
    (scratch / "context.json").write_text(json.dumps(given))
    done = subprocess.run(
        [node, "harness.js", "script.js", "context.json"],
        cwd=scratch,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return list(json.loads(done.stdout))
