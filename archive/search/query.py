"""The query language, parsed into a small tree that the searcher evaluates.

    words                 analyzed like the articles (لموسكو finds موسكو); ANDed unless `match="any"`
    "exact phrase"        also «…» and “…”; the words in order (stop words keep their places)
    a OR b   a أو b        either (also `|`); binds tighter than words side by side, as in web search engines:
                          `النفط أو الغاز الخليج` is (النفط OR الغاز) AND الخليج, which is what the prose means
    a AND b  a و b         both (the default anyway; also `&`)
    NOT a  -a              without. Arabic prose words are never NOT: `سيارة بدون سائق` (a driverless car) and
                          `ليس` are words of the query, not operators that would drop the very articles meant
    (a OR b) c            grouping
    word*                 prefix: the most frequent index terms starting with it (at most MAX_PREFIX_TERMS)
    title:word  source:name  person:name   (also العنوان: المصدر: الشخص:; a quoted value keeps its spaces)
    place:name  org:name  (also organization:, المكان: المنظمة:): articles naming that place / organization

An Arabic operator word (و, أو) with nothing to join on one side is prose, not a mistake: it is dropped without a
notice. Parsing never fails: whatever cannot be read as syntax (an unbalanced quote or parenthesis, a lone operator, an
unknown field, a bare `*`, control characters, 10,000 characters of text) is read as words or dropped, and a
notice says so. The work is bounded: the text is cut at MAX_QUERY_CHARS, at most MAX_CLAUSES words and phrases
count, and groups nest at most MAX_DEPTH deep.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import overload

from archive.search.notices import Notice
from archive.text.analysis import ArabicAnalyzer, term_of
from archive.text.charsets import strip_article_prefix
from archive.text.normalize import normalize

MAX_QUERY_CHARS = 1000
MAX_CLAUSES = 24
MAX_DEPTH = 8
MIN_PREFIX_CHARS = 2
MAX_PREFIX_TERMS = 64

FIELD_ALIASES = {
    "title": "title", "عنوان": "title", "العنوان": "title",
    "source": "source", "outlet": "source", "مصدر": "source", "المصدر": "source",
    "person": "person", "persons": "person", "شخص": "person", "الشخص": "person",
    "place": "place", "places": "place", "مكان": "place", "المكان": "place",
    "org": "organization", "organization": "organization", "organizations": "organization",
    "منظمة": "organization", "المنظمة": "organization",
}
# the fields a FieldMatch names: a facet of the article, resolved by the searcher
NAME_FIELDS = ("source", "person", "place", "organization")
# Standalone operator words. English ones only in capitals, so an ordinary "or" in a query stays a word. No Arabic
# word means NOT: ليس and بدون are ordinary prose (سيارة بدون سائق), and a NOT typed by accident silently removes
# exactly the articles wanted.
OR_WORDS = frozenset({"OR", "|", "||", "أو", "او"})
AND_WORDS = frozenset({"AND", "&", "&&", "و"})
NOT_WORDS = frozenset({"NOT", "!"})
# Operator words that are also prose: with nothing to join they are dropped quietly, not reported.
PROSE_OPERATORS = frozenset({"أو", "او", "و"})
FIELD_NAMES = ("title:", "source:", "person:", "place:", "org:")

_OPEN_QUOTES = {'"': '"', "«": "»", "“": "”", "„": "”", "”": "”"}
_QUOTE_CHARS = frozenset('"«»“”„')
_FIELD = re.compile(r"^([^\W\d][\w]*):(.*)$", re.DOTALL)


# ---------------------------------------------------------------- the tree


@dataclass(frozen=True)
class Word:
    """One typed word: its index terms (usually one; `co-operation` gives two, ANDed) in `fields`."""
    raw: str
    terms: tuple[str, ...]
    fields: tuple[str, ...] = ("title", "body")
    exact: bool = False  # typed in quotes: searched as written, not widened to other spellings of a name


@dataclass(frozen=True)
class Phrase:
    """Words in order: `terms` with their positions relative to the first (gaps where stop words were)."""
    raw: str
    terms: tuple[tuple[str, int], ...]
    fields: tuple[str, ...] = ("title", "body")


@dataclass(frozen=True)
class Prefix:
    raw: str
    prefixes: tuple[str, ...]  # normalized forms to expand (with and without a definite article)
    fields: tuple[str, ...] = ("title", "body")


@dataclass(frozen=True)
class FieldMatch:
    """`source:`, `person:`, `place:` or `org:`: articles whose outlet / any named person, place or organization
    matches `value` (resolved by the searcher)."""
    field: str
    value: str


@dataclass(frozen=True)
class And:
    children: tuple[Node, ...]
    implicit: bool = True  # words side by side: `match="any"` turns these into OR


@dataclass(frozen=True)
class Or:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    child: Node


Node = Word | Phrase | Prefix | FieldMatch | And | Or | Not


@dataclass
class ParsedQuery:
    text: str
    root: Node | None  # None: nothing searchable (empty, or only stop words / syntax)
    notices: list[Notice] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return self.root is None

    def positive_terms(self) -> set[str]:
        """Index terms of the words and phrases not under a NOT: what highlighting marks."""
        return {term for node in iter_positive(self.root) for term in _node_terms(node)}

    def describe(self) -> str:
        return describe(self.root) if self.root is not None else ""


def iter_positive(node: Node | None) -> Iterator[Node]:
    """The leaves (words, phrases, prefixes, field matches) not under a NOT."""
    if node is None or isinstance(node, Not):
        return
    if isinstance(node, And | Or):
        for child in node.children:
            yield from iter_positive(child)
    else:
        yield node


def _node_terms(node: Node) -> tuple[str, ...]:
    if isinstance(node, Word):
        return node.terms
    if isinstance(node, Phrase):
        return tuple(term for term, _ in node.terms)
    return ()


@overload
def with_match(node: Node, match: str) -> Node: ...
@overload
def with_match(node: None, match: str) -> None: ...
@overload
def with_match(node: Node | None, match: str) -> Node | None: ...
def with_match(node: Node | None, match: str) -> Node | None:
    """`match="any"`: every implicit AND (words side by side) becomes an OR; explicit AND and NOT stay."""
    if node is None or match != "any":
        return node
    if isinstance(node, And):
        children = tuple(with_match(child, match) for child in node.children)
        if node.implicit:
            positives = tuple(c for c in children if not isinstance(c, Not))
            negatives = tuple(c for c in children if isinstance(c, Not))
            if len(positives) > 1:
                ored = Or(positives)
                return And((ored, *negatives), implicit=False) if negatives else ored
        return And(children, node.implicit)
    if isinstance(node, Or):
        return Or(tuple(with_match(child, match) for child in node.children))
    if isinstance(node, Not):
        return Not(with_match(node.child, match))
    if isinstance(node, Word) and len(node.terms) > 1:
        # one typed token that analyzes to several terms (`موسكو^2`, `<b>موسكو</b>`): its terms are side by side too
        return Or(tuple(Word(node.raw, (term,), node.fields) for term in node.terms))
    return node


def has_implicit_and(node: Node | None) -> bool:
    """Whether falling back to any-word matching could change anything."""
    if isinstance(node, And):
        positives = [c for c in node.children if not isinstance(c, Not)]
        return (node.implicit and len(positives) > 1) or any(has_implicit_and(c) for c in node.children)
    if isinstance(node, Or):
        return any(has_implicit_and(c) for c in node.children)
    if isinstance(node, Word):
        return len(node.terms) > 1
    return False


def describe(node: Node) -> str:
    """The query as the index sees it: analyzed terms and operators (`لموسكو` shows as `موسكو`)."""
    if isinstance(node, Word):
        text = " ".join(node.terms) if len(node.terms) == 1 else "(" + " ".join(node.terms) + ")"
        return ("title:" + text) if node.fields == ("title",) else text
    if isinstance(node, Phrase):
        text = '"' + " ".join(term for term, _ in node.terms) + '"'
        return ("title:" + text) if node.fields == ("title",) else text
    if isinstance(node, Prefix):
        text = node.prefixes[0] + "*"
        return ("title:" + text) if node.fields == ("title",) else text
    if isinstance(node, FieldMatch):
        value = f'"{node.value}"' if " " in node.value else node.value
        return f"{node.field}:{value}"
    if isinstance(node, Not):
        return "-" + describe(node.child)
    if isinstance(node, Or):
        return "(" + " OR ".join(describe(c) for c in node.children) + ")"
    joiner = " " if node.implicit else " AND "
    return joiner.join(describe(c) for c in node.children)


# ---------------------------------------------------------------- lexing


@dataclass(frozen=True)
class _Token:
    kind: str  # "word" | "phrase" | "open" | "close" | "or" | "and" | "not"
    text: str = ""  # for "or" / "and": the word typed (أو and و are prose when they join nothing)
    negated: bool = False  # a leading "-"
    field: str | None = None  # "title" | "source" | "person" | "place" | "organization"


def clean_query_text(text: str) -> tuple[str, list[Notice]]:
    """Control and format characters become spaces; over-long text is cut (at a space when possible)."""
    notices = []
    text = "".join(
        " " if (unicodedata.category(ch) in ("Cc", "Cs", "Co") or ch in "\u2028\u2029") else ch
        for ch in text[: MAX_QUERY_CHARS * 4]
    )
    if len(text) > MAX_QUERY_CHARS:
        cut = text.rfind(" ", 0, MAX_QUERY_CHARS)
        text = text[: cut if cut > MAX_QUERY_CHARS // 2 else MAX_QUERY_CHARS]
        notices.append(Notice("query_cut", chars=len(text)))
    return text.strip(), notices


def _lex(text: str, notices: list[Notice]) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(text)
    unbalanced_quote = False
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        if ch == "(":
            tokens.append(_Token("open"))
            i += 1
            continue
        if ch == ")":
            tokens.append(_Token("close"))
            i += 1
            continue
        negated = False
        start = i
        if ch in "-+" and i + 1 < n and not text[i + 1].isspace():
            negated = ch == "-"
            i += 1
            if text[i] == "(":
                # -( ... ) negates a group
                tokens.append(_Token("not"))
                continue
        field_name = None
        match = _FIELD.match(text[i:i + 40])
        if match and match.group(1).lower() in FIELD_ALIASES:
            field_name = FIELD_ALIASES[match.group(1).lower()]
            i += len(match.group(1)) + 1
            if i >= n or text[i].isspace():
                notices.append(Notice("field_needs_value", field=match.group(1)))
                continue
        if i < n and text[i] in _OPEN_QUOTES:
            close = _OPEN_QUOTES[text[i]]
            end = text.find(close, i + 1)
            if end < 0 and close != '"':
                end = text.find('"', i + 1)
            if end < 0:
                # an unbalanced quote: the rest is read as plain words
                unbalanced_quote = True
                i += 1
                if field_name:
                    tokens.append(_Token("word", text[i:].strip(), negated, field_name))
                    break
                continue
            tokens.append(_Token("phrase", text[i + 1:end], negated, field_name))
            i = end + 1
            continue
        j = i
        while j < n and not text[j].isspace() and text[j] not in "()" and text[j] not in _QUOTE_CHARS:
            j += 1
        word = text[i:j]
        i = j
        if not word:
            if i == start:  # a stray quote character
                i += 1
            continue
        if field_name is None and not negated:
            if word in OR_WORDS:
                tokens.append(_Token("or", word))
                continue
            if word in AND_WORDS:
                tokens.append(_Token("and", word))
                continue
            if word in NOT_WORDS:
                tokens.append(_Token("not"))
                continue
            unknown = _FIELD.match(word)
            if unknown and unknown.group(2):
                notices.append(Notice("unknown_field", field=unknown.group(1), fields=FIELD_NAMES))
                tokens.append(_Token("word", unknown.group(1)))
                word = unknown.group(2)
        tokens.append(_Token("word", word, negated, field_name))
    if unbalanced_quote:
        notices.append(Notice("unclosed_quote"))
    return tokens


# ---------------------------------------------------------------- parsing


class _Parser:
    def __init__(self, tokens: list[_Token], notices: list[Notice]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.notices = notices
        self.clauses = 0
        self.depth = 0
        self.ignored_operator = False
        self.dropped_clauses = False

    def peek(self) -> _Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def _notice(self, notice: Notice) -> None:
        if notice not in self.notices:
            self.notices.append(notice)

    def parse(self) -> Node | None:
        node = self.parse_sequence()
        while self.pos < len(self.tokens):  # a stray ")" stops parse_sequence: skip it and read on
            self.pos += 1
            self._notice(Notice("stray_close_paren"))
            more = self.parse_sequence()
            node = _and([node, more]) if node is not None else more
        if self.ignored_operator:
            self.notices.append(Notice("lone_operator"))
        if self.dropped_clauses:
            self.notices.append(Notice("too_many_clauses", max=MAX_CLAUSES))
        return node

    def _operator_joins_nothing(self, token: _Token) -> None:
        """An operator with nothing on one side: an English one is reported, an Arabic one (و, أو) is prose."""
        if token.text not in PROSE_OPERATORS:
            self.ignored_operator = True

    def parse_sequence(self) -> Node | None:
        """Items side by side (ANDed), each an OR-group; an explicit AND between them changes nothing but
        keeps `match="any"` from turning them into an OR."""
        parts: list[Node] = []
        explicit = False
        pending_and: _Token | None = None
        while (token := self.peek()) is not None and token.kind != "close":
            if token.kind in ("and", "or"):
                # an AND, or an OR with nothing on its left (the start, after an AND, after a group that was
                # dropped)
                self.pos += 1
                if token.kind == "and" and parts:
                    if token.text not in PROSE_OPERATORS:
                        explicit = True
                    pending_and = token
                else:
                    self._operator_joins_nothing(token)
                continue
            node = self.parse_either()
            pending_and = None
            if node is not None:
                parts.append(node)
        if pending_and is not None:
            self._operator_joins_nothing(pending_and)
        if not parts:
            return None
        if len(parts) == 1:
            return parts[0]
        return And(tuple(parts), implicit=not explicit)

    def parse_either(self) -> Node | None:
        """`a OR b OR c`: binds tighter than words side by side (`a b OR c d` is a (b OR c) d)."""
        parts = [self.parse_unary()]
        while (token := self.peek()) is not None and token.kind == "or":
            self.pos += 1
            following = self.peek()
            if following is None or following.kind in ("or", "and", "close"):
                self._operator_joins_nothing(token)
                continue
            parts.append(self.parse_unary())
        present = [p for p in parts if p is not None]
        if len(parts) > 1 and len(present) < len(parts):
            self.ignored_operator = True
        if not present:
            return None
        return present[0] if len(present) == 1 else Or(tuple(present))

    def parse_unary(self) -> Node | None:
        token = self.peek()
        assert token is not None
        if token.kind == "not":
            self.pos += 1
            following = self.peek()
            if following is None or following.kind in ("or", "and", "close"):
                self.ignored_operator = True
                return None
            child = self.parse_unary()
            return Not(child) if child is not None else None
        if token.kind == "open":
            self.pos += 1
            self.depth += 1
            inner = self.parse_sequence() if self.depth <= MAX_DEPTH else self._skip_group()
            self.depth -= 1
            closing = self.peek()
            if closing is not None and closing.kind == "close":
                self.pos += 1
            else:
                self._notice(Notice("unclosed_paren"))
            return inner
        if token.kind == "close":  # handled by callers; defensive
            self.pos += 1
            return None
        self.pos += 1
        return self.leaf(token)

    def _skip_group(self) -> Node | None:
        # Too deep: read the inner group flat, as words, so nesting cannot cost more than its words.
        self.notices.append(Notice("too_deep", max=MAX_DEPTH))
        parts = []
        depth = 1
        while (token := self.peek()) is not None:
            if token.kind == "open":
                depth += 1
            elif token.kind == "close":
                depth -= 1
                if depth == 0:
                    break
            elif token.kind in ("word", "phrase"):
                node = self.leaf(token)
                if node is not None:
                    parts.append(node)
            self.pos += 1
        return _and(parts)

    def leaf(self, token: _Token) -> Node | None:
        if self.clauses >= MAX_CLAUSES:
            self.dropped_clauses = True
            return None
        node = make_leaf(token.text, token.kind == "phrase", token.field, self.notices)
        if node is None:
            return None
        self.clauses += 1
        return Not(node) if token.negated else node


def _and(parts: Sequence[Node | None]) -> Node | None:
    present = [p for p in parts if p is not None]
    if not present:
        return None
    return present[0] if len(present) == 1 else And(tuple(present))


def analyze_with_positions(text: str) -> list[tuple[str, int]]:
    """(term, position) of each indexed word of text: positions count stop words too, like the index."""
    return [(t.text, t.pos) for t in ArabicAnalyzer()(text, positions=True) if not getattr(t, "stopped", False)]


def prefix_forms(raw: str) -> tuple[str, ...]:
    """The normalized prefix, without a definite article, and stemmed: index terms are stored stemmed, so
    `سوري*` must also expand `سور` (the term of سوريا، السوري، سوريين) and `فلسطي*` also `فلسط`."""
    text = normalize(raw)
    text = re.sub(r"[^\w]", "", text)
    forms = [text]
    bare = strip_article_prefix(text, MIN_PREFIX_CHARS)
    if bare != text:
        forms.append(bare)
    # a stem shorter than 3 letters would expand far beyond what was typed
    forms += [stem for form in forms if len(stem := term_of(form) or "") >= 3]
    return tuple(dict.fromkeys(f for f in forms if len(f) >= MIN_PREFIX_CHARS))


def make_leaf(text: str, is_phrase: bool, field_name: str | None, notices: list[Notice]) -> Node | None:
    fields = ("title",) if field_name == "title" else ("title", "body")
    if field_name in NAME_FIELDS:
        value = " ".join(text.split())
        return FieldMatch(field_name, value) if value else None
    if not is_phrase and text.endswith("*"):
        stem_text = text.rstrip("*")
        forms = prefix_forms(stem_text)
        if not forms:
            if stem_text.strip("*"):
                notices.append(Notice("prefix_too_short", text=text, min=MIN_PREFIX_CHARS))
            else:
                notices.append(Notice("bare_star"))
                return None
        else:
            return Prefix(text, forms, fields)
        text = stem_text
    analyzed = analyze_with_positions(text)
    if not analyzed:
        return None
    if is_phrase and len(analyzed) > 1:
        first = analyzed[0][1]
        return Phrase(text, tuple((term, pos - first) for term, pos in analyzed), fields)
    return Word(text, tuple(dict.fromkeys(term for term, _ in analyzed)), fields, exact=is_phrase)


def parse(text: str) -> ParsedQuery:
    """Parse a query; never raises. An empty result (`root is None`) means: nothing to search for."""
    cleaned, notices = clean_query_text(text or "")
    if not cleaned:
        return ParsedQuery(text or "", None, notices)
    tokens = _lex(cleaned, notices)
    root = _Parser(tokens, notices).parse()
    if root is None and not notices and any(t.kind in ("word", "phrase") or t.text in PROSE_OPERATORS
                                            for t in tokens):
        notices.append(Notice("only_common_words"))
    return ParsedQuery(text, root, notices)
