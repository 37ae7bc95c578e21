"""Site settings from content/site.yaml: title, description, author, base URL, repository."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlsplit

import yaml

from sitegen.errors import Problem, SitegenError
from sitegen.model import SiteConfig
from sitegen.project import display
from sitegen.read.files import Files
from sitegen.read.yamlfile import where
from sitegen.site.urls import Urls

SITE_FILE = "site.yaml"
REQUIRED = ("title", "description", "author", "base_url", "repository")
OPTIONAL = ("domain", "branch")
DEFAULT_BRANCH = "main"
DEFAULT_CONFIG = SiteConfig(
    title="Reading list",
    description="A curated reading list of machine-learning papers.",
    author="The curators",
    base_url="http://localhost:8000/",
    repository="https://github.com/example/reading-list",
    branch=DEFAULT_BRANCH,
    domain=None,
)


def load_config(files: Files, base_url: str | None = None) -> SiteConfig:
    """Read content/site.yaml; raise SitegenError with every problem found in it at once.

    `base_url`, when given (from --base-url), replaces the file's base_url.
    """
    path = files.project.content / SITE_FILE
    name = display(path)
    if not path.exists() and not path.is_symlink():
        # A content folder without settings (a test fixture, a fresh fork) still builds.
        config = DEFAULT_CONFIG
        if base_url is not None:
            Urls.from_base_url(base_url, where="--base-url")
            config = replace(config, base_url=base_url)
        return config
    document, problems = files.yaml(path)
    if document is None or problems:
        raise SitegenError(problems)
    return config_from_node(document.root, name, base_url)


def config_from_node(root: yaml.Node | None, name: str, base_url: str | None) -> SiteConfig:
    """Check the composed YAML document and turn it into a SiteConfig."""
    if not isinstance(root, yaml.MappingNode):
        line, column = where(root)
        raise SitegenError(
            Problem(name, line, column, "the site settings must be a mapping of keys to values",
                    f"give {', '.join(REQUIRED)}")
        )
    problems: list[Problem] = []
    values: dict[str, str] = {}
    nodes: dict[str, yaml.Node] = {}
    for key_node, value_node in root.value:
        key = key_node.value
        line, column = where(key_node)
        if key not in REQUIRED + OPTIONAL:
            problems.append(Problem(name, line, column, f"unknown key {key!r}",
                                    f"the keys are {', '.join(REQUIRED + OPTIONAL)}"))
            continue
        if key in values:
            problems.append(Problem(name, line, column, f"the key {key!r} is given twice"))
            continue
        text = _scalar_text(value_node)
        if text is None:
            line, column = where(value_node)
            problems.append(Problem(name, line, column, f"{key!r} must be a non-empty text"))
            continue
        values[key] = text
        nodes[key] = value_node
    for key in REQUIRED:
        if key not in values and not any(p.message.startswith(f"{key!r}") for p in problems):
            problems.append(Problem(name, 1, 1, f"the key {key!r} is missing"))
    problems.extend(_check_urls(values, nodes, name))
    if base_url is not None:
        Urls.from_base_url(base_url, where="--base-url")
        values["base_url"] = base_url
    if problems:
        raise SitegenError(sorted(problems))
    return SiteConfig(
        title=values["title"],
        description=values["description"],
        author=values["author"],
        base_url=values["base_url"],
        repository=values["repository"].rstrip("/"),
        branch=values.get("branch", DEFAULT_BRANCH),
        domain=values.get("domain"),
    )


def _check_urls(values: dict[str, str], nodes: dict[str, yaml.Node], name: str) -> list[Problem]:
    problems = []
    if "base_url" in values:
        try:
            Urls.from_base_url(values["base_url"])
        except SitegenError as error:
            line, column = where(nodes["base_url"])
            problems += [Problem(name, line, column, p.message, p.hint) for p in error.problems]
    if "repository" in values:
        parts = urlsplit(values["repository"])
        if parts.scheme != "https" or not parts.netloc:
            line, column = where(nodes["repository"])
            problems.append(Problem(name, line, column,
                                    f"the repository {values['repository']!r} is not an https URL",
                                    "write it like https://github.com/user/repo"))
    if "domain" in values:
        domain = values["domain"]
        if "/" in domain or ":" in domain or " " in domain or "." not in domain:
            line, column = where(nodes["domain"])
            problems.append(Problem(name, line, column, f"the domain {domain!r} is not a host name",
                                    "write it like papers.example.org, without https://"))
    return problems


def _scalar_text(node: yaml.Node) -> str | None:
    if not isinstance(node, yaml.ScalarNode) or node.tag != "tag:yaml.org,2002:str":
        return None
    text = " ".join(str(node.value).split())
    return text or None


