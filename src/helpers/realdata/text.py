"""ELTeC novels as clean multilingual text: TEI body paragraphs, chunked into documents."""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import pandas as pd

from helpers.realdata.common import Mirror, as_mirror, finish
from helpers.realdata.languages import ELTEC_TO_LANGUAGE
from helpers.realdata.readers import DataFormatError, read_text
from helpers.realdata.registry import ELTEC_NOVELS

TEI = "{http://www.tei-c.org/ns/1.0}"
LANGUAGE_TO_ELTEC = {v: k for k, v in ELTEC_TO_LANGUAGE.items()}
ELTEC_LANGUAGES = tuple(ELTEC_TO_LANGUAGE.values())

_BODY = re.compile(r"<(body|text)\b[^>]*>(.*?)(?:</\1>|\Z)", re.DOTALL)
_NOTE = re.compile(r"<note\b[^>]*?(?:/>|>.*?</note>)", re.DOTALL)
# not <pb/>, not an empty <p/>; an unclosed <p> ends where the next paragraph or division starts
_PARAGRAPH = re.compile(r"<p(?:\s[^>]*)?(?<!/)>(.*?)(?=</p>|<p[\s>/]|</div>|<div[\s>]|\Z)", re.DOTALL)
_TAG = re.compile(r"<[^>]+>")


def _clean(text: str) -> str:
    return " ".join(text.split())


def _walk(element: ET.Element) -> Iterator[str]:
    """Paragraph texts under an element, skipping notes (and the paragraphs inside them)."""
    tag = element.tag.removeprefix(TEI) if isinstance(element.tag, str) else ""
    if tag == "note":
        return
    if tag == "p":
        yield _clean("".join(_text_without_notes(element)))
        return
    for child in element:
        yield from _walk(child)


def _text_without_notes(element: ET.Element) -> Iterator[str]:
    yield element.text or ""
    for child in element:
        if not (isinstance(child.tag, str) and child.tag.removeprefix(TEI) == "note"):
            yield from _text_without_notes(child)
        yield child.tail or ""


def tei_paragraphs(path: Path) -> list[str]:
    """Body paragraphs of a TEI file (notes dropped); a regex takes over where the XML is not well-formed."""
    text = read_text(path)
    try:
        root = ET.fromstring(text.encode("utf-8"))
    except ET.ParseError as error:
        # ELTeC-rus level0 files are not well-formed XML; their <p> markup is still usable
        body = _BODY.search(text.split("</teiHeader>", 1)[-1])
        paragraphs = [_clean(html.unescape(_TAG.sub(" ", p)))
                      for p in _PARAGRAPH.findall(_NOTE.sub("", body.group(2)))] if body else []
        paragraphs = [p for p in paragraphs if p]
        if not paragraphs:
            line = error.position[0] if hasattr(error, "position") else None
            raise DataFormatError(f"{path}{f':{line}' if line else ''}: not well-formed XML ({error}) and no "
                                  f"<p> paragraphs found inside <body>") from None
        return paragraphs
    # a few ELTeC-rus files put their paragraphs straight under <text>, without <body>
    bodies = (list(root.iter(f"{TEI}body")) or list(root.iter("body")) or list(root.iter(f"{TEI}text"))
              or list(root.iter("text")))
    if not bodies:
        raise DataFormatError(f"{path}: no TEI <body> (or <text>) element")
    return [p for body in bodies for p in _walk(body) if p]


def load_eltec_paragraphs(mirror: Mirror | Path, languages: Sequence[str] = ELTEC_LANGUAGES,
                          novels: Mapping[str, Sequence[str]] | None = None) -> pd.DataFrame:
    """One row per body paragraph: language, novel, paragraph number, text (`novels`: a subset per ELTeC code)."""
    mirror = as_mirror(mirror)
    rows = []
    for language in languages:
        if language not in LANGUAGE_TO_ELTEC:
            raise ValueError(f"no ELTeC text for language {language!r}; available: {', '.join(ELTEC_LANGUAGES)}")
        code = LANGUAGE_TO_ELTEC[language]
        for novel in (novels or ELTEC_NOVELS).get(code, ()):
            path = mirror.file(f"eltec_{code}", f"eltec_multilingual_text/{code}/{novel}.xml.gz")
            for number, paragraph in enumerate(tei_paragraphs(path)):
                rows.append({"language": language, "novel": novel, "paragraph": number, "text": paragraph,
                             "source": f"eltec_{code}"})
    return pd.DataFrame(rows, columns=["language", "novel", "paragraph", "text", "source"])


def _pieces(paragraph: str, limit: int) -> Iterator[str]:
    """A paragraph cut at sentence ends (else spaces) into pieces of at most about `limit` characters."""
    while len(paragraph) > limit:
        window = paragraph[:limit]
        cut = max(window.rfind(". "), window.rfind("! "), window.rfind("? "), window.rfind("; "))
        cut = cut + 1 if cut > limit // 3 else window.rfind(" ")
        if cut <= 0:
            cut = limit
        yield paragraph[:cut].strip()
        paragraph = paragraph[cut:].strip()
    if paragraph:
        yield paragraph


def chunk_paragraphs(paragraphs: pd.DataFrame, doc_chars: int) -> pd.DataFrame:
    """Consecutive paragraphs of each novel joined (with newlines) into documents of about `doc_chars`."""
    rows = []
    for (language, source, novel), part in paragraphs.groupby(["language", "source", "novel"], sort=True):
        buffer: list[str] = []
        size = 0
        chunk = 0

        def flush() -> None:
            nonlocal buffer, size, chunk
            if buffer:
                rows.append({"language": language, "source": source, "novel": novel, "chunk": chunk,
                             "text": "\n".join(buffer)})
                chunk += 1
            buffer, size = [], 0

        for paragraph in part.sort_values("paragraph")["text"]:
            for piece in _pieces(paragraph, doc_chars):
                if size and size + len(piece) > doc_chars:
                    flush()
                buffer.append(piece)
                size += len(piece) + 1
        flush()
    frame = pd.DataFrame(rows, columns=["language", "source", "novel", "chunk", "text"])
    frame["n_chunks"] = frame.groupby("novel")["chunk"].transform("size")
    return frame


def load_eltec_documents(mirror: Mirror | Path, languages: Sequence[str] = ELTEC_LANGUAGES, doc_chars: int = 1500,
                         heldout_share: float = 0.05, novels: Mapping[str, Sequence[str]] | None = None,
                         with_meta: bool = False) -> pd.DataFrame:
    """All ELTeC text as pretraining documents; the last `heldout_share` of each novel is the heldout split."""
    chunks = chunk_paragraphs(load_eltec_paragraphs(mirror, languages, novels), doc_chars)
    # a contiguous tail, not scattered chunks, so heldout text never sits between training neighbours
    heldout = chunks["chunk"] >= (chunks["n_chunks"] * (1.0 - heldout_share)).round().astype(int)
    frame = pd.DataFrame({
        "doc_id": [f"{s}-{n.split('_')[0]}-{c:05d}" for s, n, c in zip(chunks["source"], chunks["novel"],
                                                                         chunks["chunk"])],
        "language": chunks["language"], "text": chunks["text"], "split": heldout.map({True: "heldout",
                                                                                       False: "train"}),
        "is_toxic": None, "toxicity": float("nan"), "source": chunks["source"],
        "_novel": chunks["novel"], "_chunk": chunks["chunk"]})
    return finish("pretraining_corpus", frame, with_meta)
