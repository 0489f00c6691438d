"""A small streaming XML writer for the hot publishing path (DataCite XML, oai_dc, oai_datacite).

Why it exists: building a DataCite ``<resource>`` (66 elements, 55 attributes) with lxml
``SubElement`` and serialising it costs ~270 µs per record on the reference VM, most of it in
per-node and per-attribute calls into lxml; writing the same document with this module costs a
fraction of that (numbers in docs/perf-crosswalks.md). lxml stays the reference implementation:
``tests/crosswalks/test_xmlwriter.py`` checks, for every golden case, the hostile case and random
text, that this writer's bytes parse strictly and are C14N-equal to the lxml builder's tree.

How well-formedness is guaranteed by construction (this is not "XML from string templates"):

- Markup comes only from names: element and attribute names are checked against an ASCII QName
  pattern, and a prefix must be one the :class:`Dialect` declares on the root (``xml`` is
  predeclared). Checked names are cached per dialect, so a name is validated once per process.
- Every text and attribute value is escaped: ``&``, ``<`` and ``>`` everywhere, ``"`` in
  attributes, and ``\\r`` (text) and ``\\t \\n \\r`` (attributes) as character references so a
  parser's normalisation gives the value back. No method accepts markup: a value is always data.
- Characters XML 1.0 forbids (C0 controls but tab/newline/CR, U+FFFE, U+FFFF, lone surrogates) are
  removed with :func:`.xmltext.clean`. Removal and escaping commute (both act character by
  character and escaping never produces a forbidden character), and the markup this module writes
  never contains one, so the finished document is checked once as a whole (a C-speed byte scan)
  and cleaned as a whole only when that check finds something: the result equals cleaning every
  value first.
- The writer keeps the stack of open elements: :meth:`XmlWriter.end` closes the innermost one and
  :meth:`XmlWriter.finish` refuses to return a document with elements left open (or closed twice).
- Namespace declarations are written on the root from the dialect; a nested element may only
  reset the default namespace (``xmlns=``, for the DataCite payload of ``oai_datacite``).

Output layout equals ``lxml.etree.tostring(..., xml_declaration=True, encoding="UTF-8",
pretty_print=True)`` for element-only or text-only content (what the crosswalks write): two-space
indentation, ``<a></a>`` for empty text, ``<a/>`` for an element closed without children.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

from .xmltext import clean

DECLARATION = "<?xml version='1.0' encoding='UTF-8'?>\n"
_NAME = re.compile(r"^(?:([A-Za-z_][A-Za-z0-9_.-]*):)?[A-Za-z_][A-Za-z0-9_.-]*$")
_NO_ATTRS: Mapping[str, str] = MappingProxyType({})
_INDENTS = tuple("\n" + "  " * depth for depth in range(32))
# C0 controls XML 1.0 forbids, as UTF-8 bytes; U+FFFE/U+FFFF are EF BF BE / EF BF BF.
_FORBIDDEN_BYTES = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])


def escape_text(value: str) -> str:
    """Character data: ``&``, ``<``, ``>`` as entities, CR as ``&#13;`` (as libxml2 writes)."""
    if "&" in value:
        value = value.replace("&", "&amp;")
    if "<" in value:
        value = value.replace("<", "&lt;")
    if ">" in value:
        value = value.replace(">", "&gt;")
    if "\r" in value:
        value = value.replace("\r", "&#13;")
    return value


def escape_attr(value: str) -> str:
    """A double-quoted attribute value: also ``"`` and tab/newline/CR as character references."""
    value = escape_text(value)
    if '"' in value:
        value = value.replace('"', "&quot;")
    if "\n" in value:
        value = value.replace("\n", "&#10;")
    if "\t" in value:
        value = value.replace("\t", "&#9;")
    return value


def _check_bytes(document: str) -> bytes:
    """UTF-8 of ``document`` without the characters XML 1.0 forbids (see the module docstring)."""
    try:
        data = document.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return clean(document).encode("utf-8")
    if (
        len(data.translate(None, _FORBIDDEN_BYTES)) != len(data)
        or b"\xef\xbf\xbe" in data
        or b"\xef\xbf\xbf" in data
    ):
        return clean(document).encode("utf-8")
    return data


class Dialect:
    """The namespaces declared on a document's root, and the names checked against them.

    ``namespaces`` maps prefix (``None``: the default namespace) to URI, in declaration order.
    Create one per output format at import time; it caches checked names.
    """

    __slots__ = ("_attrs", "_close", "_declarations", "_open", "_prefixes")

    def __init__(self, namespaces: Mapping[str | None, str]) -> None:
        self._prefixes = {"xml"}
        parts = []
        bound = [uri for prefix, uri in namespaces.items() if prefix is not None]
        if len(set(bound)) != len(bound):
            # Two prefixes for one namespace would let a:x and b:x be the same attribute.
            raise ValueError("one namespace bound to two prefixes")
        for prefix, uri in namespaces.items():
            if prefix is None:
                parts.append(f' xmlns="{escape_attr(uri)}"')
            else:
                self._check(prefix)
                if ":" in prefix or prefix.lower().startswith("xml"):
                    raise ValueError(f"reserved or invalid namespace prefix {prefix!r}")
                self._prefixes.add(prefix)
                parts.append(f' xmlns:{prefix}="{escape_attr(uri)}"')
        self._declarations = "".join(parts)
        self._open: dict[str, str] = {}
        self._close: dict[str, str] = {}
        self._attrs: dict[str, str] = {}

    def _check(self, name: str) -> str:
        match = _NAME.match(name) if isinstance(name, str) else None
        if match is None:
            raise ValueError(f"not an XML name: {name!r}")
        prefix = match.group(1)
        if prefix is not None and prefix not in self._prefixes:
            raise ValueError(f"undeclared namespace prefix in {name!r}")
        return name

    def open_tag(self, tag: str) -> str:
        """``<tag`` for a checked element name."""
        text = self._open.get(tag)
        if text is None:
            text = self._open[tag] = "<" + self._check(tag)
            self._close[tag] = "</" + tag + ">"
        return text

    def attr(self, name: str) -> str:
        """`` name="`` for a checked attribute name."""
        text = self._attrs.get(name)
        if text is None:
            if name == "xmlns" or name.startswith("xmlns:"):
                raise ValueError("namespace declarations come from the Dialect, not attributes")
            text = self._attrs[name] = " " + self._check(name) + '="'
        return text

    def writer(
        self, root: str, attrs: Mapping[str, str] = _NO_ATTRS, *, declaration: bool = True
    ) -> XmlWriter:
        """A writer with ``<root>`` open, carrying the namespace declarations and ``attrs``."""
        return XmlWriter(self, root, attrs, declaration)


class XmlWriter:
    """Writes one document; use :meth:`start`/:meth:`leaf`/:meth:`end`, then :meth:`finish`."""

    __slots__ = ("_attrs", "_close", "_dialect", "_open", "_out", "_stack")

    def __init__(
        self, dialect: Dialect, root: str, attrs: Mapping[str, str], declaration: bool
    ) -> None:
        self._dialect = dialect
        self._open = dialect._open
        self._close = dialect._close
        self._attrs = dialect._attrs
        out = self._out = [DECLARATION] if declaration else []
        out.append(dialect.open_tag(root))
        out.append(dialect._declarations)
        self._write_attrs(attrs)
        out.append(">")
        self._stack = [root]

    def _write_attrs(self, attrs: Mapping[str, str]) -> None:
        out = self._out
        names = self._attrs
        for name, value in attrs.items():
            prefix = names.get(name) or self._dialect.attr(name)
            if (
                "&" in value
                or "<" in value
                or ">" in value
                or '"' in value
                or not value.isprintable()
            ):
                value = escape_attr(value)
            out.append(prefix)
            out.append(value)
            out.append('"')

    def start(
        self, tag: str, attrs: Mapping[str, str] = _NO_ATTRS, *, xmlns: str | None = None
    ) -> None:
        """Open ``<tag>``; ``xmlns`` resets the default namespace for this element's subtree."""
        stack = self._stack
        out = self._out
        depth = len(stack)
        out.append(_INDENTS[depth] if depth < 32 else "\n" + "  " * depth)
        out.append(self._open.get(tag) or self._dialect.open_tag(tag))
        if xmlns is not None:
            out.append(' xmlns="')
            out.append(escape_attr(xmlns))
            out.append('"')
        if attrs:
            self._write_attrs(attrs)
        out.append(">")
        stack.append(tag)

    def leaf(self, tag: str, text: str, attrs: Mapping[str, str] = _NO_ATTRS) -> None:
        """``<tag attrs>text</tag>`` (``<tag></tag>`` for empty text)."""
        out = self._out
        depth = len(self._stack)
        out.append(_INDENTS[depth] if depth < 32 else "\n" + "  " * depth)
        out.append(self._open.get(tag) or self._dialect.open_tag(tag))
        if attrs:
            self._write_attrs(attrs)
        out.append(">")
        if "&" in text or "<" in text or ">" in text or "\r" in text:
            text = escape_text(text)
        out.append(text)
        out.append(self._close[tag])

    def end(self, tag: str | None = None) -> None:
        """Close the innermost open element (``tag``, when given, must be its name)."""
        stack = self._stack
        if len(stack) < 2:
            raise ValueError("end() would close the root: use finish()")
        name = stack.pop()
        if tag is not None and tag != name:
            raise ValueError(f"end({tag!r}) but <{name}> is open")
        out = self._out
        if out[-1] == ">":
            # Only start() ends with a bare ">" (values are escaped, leaves end with their end
            # tag): no child since start(), an empty element, written <tag/> like lxml.
            out[-1] = "/>"
            return
        depth = len(stack)
        out.append(_INDENTS[depth] if depth < 32 else "\n" + "  " * depth)
        out.append(self._close[name])

    def finish(self) -> bytes:
        """Close the root and return the UTF-8 document (ending with a newline, like lxml)."""
        stack = self._stack
        if len(stack) != 1:
            raise ValueError(f"unclosed elements: {stack[1:]}")
        out = self._out
        out.append("\n" + self._close[stack.pop()] + "\n")
        self._stack = []
        return _check_bytes("".join(out))
