"""The Jinja sandbox for templates staff write (hiring emails, marketing templates).

Staff-written templates never run as trusted code: the sandbox refuses attribute tricks
(`{{ ''.__class__ }}`), `*`/`**` cannot build huge strings, only a short list of text
filters exists (no `center(10**9)`), loops nest at most two deep over small ranges and
macros are not available (so no loop or recursion bomb), unknown names are errors, the
output is capped while it is produced, and a template is checked against sample values
when it is saved.
Each caller documents its own merge fields; this module only knows how to render safely.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, meta, nodes
from jinja2.sandbox import SandboxedEnvironment, SecurityError

MAX_OUTPUT = 50_000
MAX_LOOP_DEPTH = 2
SAFE_FILTERS = ("capitalize", "default", "d", "e", "escape", "first", "join", "last",
                "length", "lower", "replace", "striptags", "title", "trim", "truncate",
                "upper", "wordcount")


class TemplateProblem(Exception):
    """A template that cannot be rendered; the message names the problem for staff."""


class Sandbox(SandboxedEnvironment):
    """The stock sandbox, plus a cap on `*` and `**` so `{{ 'x' * 10**9 }}` is refused
    instead of filling the memory of the web process or the worker."""

    intercepted_binops = frozenset({"*", "**"})
    MAX_RANGE = 1_000

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and (abs(right) > 64 if isinstance(right, int | float) else True):
            raise SecurityError("Powers are limited in email templates.")
        if operator == "*" and any(isinstance(v, str | list | tuple) for v in (left, right)):
            count = right if isinstance(right, int) else left
            if not isinstance(count, int) or count > 100:
                raise SecurityError("Repeating text is limited in email templates.")
        return super().call_binop(context, operator, left, right)


def environment(*, autoescape: bool) -> Sandbox:
    env = Sandbox(autoescape=autoescape, undefined=StrictUndefined, trim_blocks=True,
                  lstrip_blocks=True)
    env.filters = {name: env.filters[name] for name in SAFE_FILTERS}
    env.tests = {name: env.tests[name] for name in ("defined", "undefined", "none",
                                                     "string", "number", "in")}
    return env


PLAIN = environment(autoescape=False)
HTML = environment(autoescape=True)


def render(env: Sandbox, source: str, values: Mapping[str, Any], what: str,
           *, limit: int = MAX_OUTPUT) -> str:
    """Render one staff-written source; any failure is a TemplateProblem naming `what`."""
    try:
        output = _bounded(env, source, values, what, limit)
    except SecurityError as exc:
        raise TemplateProblem(f"The {what} uses something templates may not: {exc}") from exc
    except TemplateError as exc:
        raise TemplateProblem(f"The {what} cannot be rendered: {exc}") from exc
    except (ArithmeticError, TypeError, ValueError, OverflowError, RecursionError) as exc:
        raise TemplateProblem(f"The {what} cannot be rendered: {exc}") from exc
    return output


def _bounded(env: Sandbox, source: str, values: Mapping[str, Any], what: str,
             limit: int) -> str:
    template = env.from_string(source)
    problem = _structure_problem(template.environment.parse(source))
    if problem:
        raise TemplateProblem(problem)
    parts, size = [], 0
    for part in template.generate(dict(values)):
        size += len(part)
        if size > limit:  # stop producing, rather than build the string and measure it
            raise TemplateProblem(f"The {what} renders to more than {limit:,} characters.")
        parts.append(part)
    return "".join(parts)


def _structure_problem(tree: nodes.Template) -> str:
    if any(True for _ in tree.find_all((nodes.Macro, nodes.CallBlock))):
        return "Macros are not available in email templates."
    if _loop_depth(tree) > MAX_LOOP_DEPTH:
        return f"Loops may nest at most {MAX_LOOP_DEPTH} deep in email templates."
    return ""


def _loop_depth(node: nodes.Node) -> int:
    inner = max((_loop_depth(child) for child in node.iter_child_nodes()), default=0)
    return inner + 1 if isinstance(node, nodes.For) else inner


def source_problem(source: str, fields: Mapping[str, str]) -> str:
    """Syntax errors and unknown merge fields of one source ('' when none). Rendering
    against sample values is left to the caller, who knows its own sample context."""
    try:
        parsed = PLAIN.parse(source)
        # Compiles the template: an unknown filter is a TemplateAssertionError here.
        undeclared = meta.find_undeclared_variables(parsed)
    except TemplateSyntaxError as exc:
        return f"Template syntax error on line {exc.lineno}: {exc.message}"
    unknown = sorted(undeclared - set(fields))
    if unknown:
        names = ", ".join("{{ " + name + " }}" for name in unknown)
        return f"Unknown merge field {names}. Use only: " + ", ".join(fields) + "."
    return _structure_problem(parsed)
