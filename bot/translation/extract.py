"""A Babel extractor for the YAML flows, so ``trampoline i18n extract`` (or ``pybabel extract -F babel.cfg``)
collects every text a coordinator writes in ``conversations/*.yaml`` into ``locales/messages.pot``.

Texts are the values of ``say`` and ``text`` (a plain string, ``singular``/``plural`` for a count, or
``text``/``without_name`` for a text with ``{name}`` and the same without it, and/or ``text``/``about`` for
a text about her coach, each extracted neutral and with contexts ``coach:feminine`` and ``coach:masculine``),
choice ``label``s (unless ``translate: false``), extra choice ``words`` (context ``words``), command
``words`` (context ``command``) and the values under ``texts:`` in ``_texts.yaml``. The texts of a flow
addressed to a coach (``flow: coach_...``) are extracted with the contexts ``to:coach`` and
``to:coach:masculine`` instead of none (decision 0016).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import yaml
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from bot import __version__
from bot.conversation.wording import GENDERS, address_contexts, addressee, gender_context
from bot.core.i18n import DOMAIN, SUPPORTED_LOCALES

Extracted = tuple[int, str, Any, list[str]]


def extract_yaml(fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: Any) -> Iterator[Extracted]:
    root = yaml.compose(fileobj.read().decode("utf-8"))
    if root is None:
        return
    to = None
    if isinstance(root, yaml.MappingNode):
        name = next((_scalar(v) for k, v in root.value if _scalar(k) == "flow"), None)
        to = addressee(name) if name else None
    yield from _walk(root, in_texts=False, to=to)


def _scalar(node: yaml.Node) -> str | None:
    return node.value if isinstance(node, yaml.ScalarNode) and isinstance(node.value, str) else None


def _text(node: yaml.Node, to: str | None = None) -> Iterator[Extracted]:
    if to is None:
        yield from _said(node)
        return
    for line, function, message, _ in _said(node):  # addressed to a coach: once per address context
        for context in address_contexts(to):
            if function == "gettext":  # plural texts are refused in coach flows (flows check)
                yield line, "pgettext", (context, message), []


def _said(node: yaml.Node) -> Iterator[Extracted]:
    line = node.start_mark.line + 1
    value = _scalar(node)
    if value is not None:
        yield line, "gettext", value, []
    elif isinstance(node, yaml.MappingNode):
        forms = {_scalar(k): _scalar(v) for k, v in node.value}
        if forms.get("singular") and forms.get("plural"):
            yield line, "ngettext", (forms["singular"], forms["plural"]), []
        # a text, and with {name} the same without it; about her coach: neutral, then one variant per
        # gender of each (decision 0016)
        about = forms.get("about")
        texts = [forms[key] for key in ("text", "without_name") if forms.get(key)]
        if forms.get("without_name") or about:
            for text in texts:
                yield line, "gettext", text, []
                for context in [gender_context(about, gender) for gender in GENDERS] if about else []:
                    yield line, "pgettext", (context, text), []


def _walk(node: yaml.Node, in_texts: bool, to: str | None = None) -> Iterator[Extracted]:
    if isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _walk(item, in_texts=False, to=to)
        return
    if not isinstance(node, yaml.MappingNode):
        return
    if in_texts:
        for _, value in node.value:
            yield from _text(value)
        return
    keys = {_scalar(k): v for k, v in node.value}
    is_command = "flow" in keys and "words" in keys and "name" in keys
    translate = _scalar(keys["translate"]) if "translate" in keys else None
    for key_node, value in node.value:
        key = _scalar(key_node)
        if key in ("say", "text"):
            yield from _text(value, to)
        elif key == "label" and translate not in ("false", "False", "no"):
            label = _scalar(value)
            about = _scalar(keys["about"]) if "about" in keys else None
            if label is not None:
                yield value.start_mark.line + 1, "gettext", label, []
            if label is not None and about:  # a label about her coach: one variant per gender (decision 0016)
                for gender in GENDERS:
                    yield value.start_mark.line + 1, "pgettext", (gender_context(about, gender), label), []
        elif key == "words":
            words = _scalar(value)
            if words is not None:
                context = "command" if is_command else "words"
                yield value.start_mark.line + 1, "pgettext", (context, words), []
        elif key == "texts":
            yield from _walk(value, in_texts=True)
        else:
            yield from _walk(value, in_texts=False, to=to)


def extract_catalog(root: Path) -> Catalog:
    """The template catalog: texts from the flows and from Python (``_``/``N_`` calls) under ``root``."""
    catalog = Catalog(project="trampoline", version=__version__, charset="utf-8", fuzzy=False)
    method_map = [("conversations/**.yaml", "bot.translation.extract:extract_yaml"), ("bot/**.py", "python")]
    for filename, lineno, message, comments, context in extract_from_dir(
        str(root), method_map=method_map, comment_tags=("TRANSLATORS:",), strip_comment_tags=True
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def write_template(root: Path) -> tuple[Path, int]:
    template = extract_catalog(root)
    path = root / "locales" / f"{DOMAIN}.pot"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        write_po(handle, template, width=100, sort_by_file=True)
    return path, len(template)


def update_catalogs(root: Path) -> list[tuple[str, int]]:
    """Merge the template into every existing ``<locale>/LC_MESSAGES/messages.po``; new texts arrive
    untranslated, changed ones fuzzy. Returns each locale with its count of untranslated texts."""
    template = extract_catalog(root)
    report = []
    for locale in SUPPORTED_LOCALES:
        path = root / "locales" / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
        if not path.is_file():
            continue
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=locale, domain=DOMAIN)
        catalog.update(template, update_header_comment=False, update_creation_date=False)
        with path.open("wb") as handle:
            write_po(handle, catalog, width=100, sort_by_file=True, ignore_obsolete=True)
        report.append((locale, sum(1 for m in catalog if m.id and not m.string)))
    return report
