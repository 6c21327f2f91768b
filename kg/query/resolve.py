"""Finding the entity a name means: by id, name in either language, alias, legal name or ticker.

Analysts write a company as 壁仞, 壁仞科技, 上海壁仞科技股份有限公司, Biren or Biren Technology
Co., Ltd.; a ticker as 06082.HK or 6082.hk. Every way of naming is reduced to a few **keys**
(``name_keys``), and a name matches an entity only when one of its keys is one of the entity's
keys: never because one name contains the other, so 华为 is not 华为海思 (HiSilicon).

The same keys fill the on-disk store's index of names (kg.store.oxigraph), so ``kg query --store`` finds
an entity by a short name without reading every name into memory; queries, views, ``kg resolve``
and ``kg extract`` all decide through ``Resolver``.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any

from rdflib import RDF, RDFS, SKOS, Graph, Literal, URIRef

from ..base.ontology import PREFIXES
from ..base.errors import UsageError
from ..base.ontology import GPU, KGR
from ..base.hanzi import simplified
from ..base.names import (CJK, NAME_PREDICATES, TICKER_PREDICATES, core_name, id_keys, index_keys,  # noqa: F401
                          kept_for, name_keys, normal_name, ticker_key)
















def expand_name(text: str) -> URIRef | None:
    """``gpu:ChipDesigner`` or ``<https://...>`` or a full IRI, as an IRI; None if it is neither."""
    text = text.strip()
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1]
    prefix, sep, local = text.partition(":")
    if sep and prefix in PREFIXES and not local.startswith("//"):
        return URIRef(str(PREFIXES[prefix]) + local)
    if _IRI.match(text):
        return URIRef(text)
    return None


_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]+$")


def class_label(kind: URIRef, graph: Graph | None = None) -> str:
    """The English label of an ontology class: ``chip designer``."""
    from ..base.ontology import ontology_graph

    for source in (graph, ontology_graph()):
        if source is None:
            continue
        for label in source.objects(kind, RDFS.label):
            if isinstance(label, Literal) and label.language == "en":
                return str(label)
    return re.sub(r"(?<!^)(?=[A-Z])", " ", kind.split("#")[-1].split("/")[-1]).lower()


def article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def short(node: URIRef) -> str:
    """``iluvatar`` for an id, ``gpu:NetLoss`` for an ontology term, ``<...>`` otherwise."""
    for prefix in ("kgr", "gpu"):
        namespace = str(PREFIXES[prefix])
        if node.startswith(namespace):
            return f"{prefix}:{node[len(namespace):]}" if prefix == "gpu" else node[len(namespace):]
    return f"<{node}>"


@dataclass(frozen=True)
class Entity:
    """One match: its id, its names and what kind of thing it is."""

    iri: URIRef
    id: str
    names: tuple[tuple[str, str], ...]   # (language or "", text), labels first
    kinds: tuple[str, ...]               # class labels: "chip designer"


@dataclass(frozen=True)
class Resolution:
    """What a name resolves to: one entity, several (ambiguous), or none (with the closest)."""

    text: str
    matches: tuple[Entity, ...]
    closest: tuple[Entity, ...] = ()

    @property
    def status(self) -> str:
        return {0: "unknown", 1: "found"}.get(len(self.matches), "ambiguous")


def resolver_for(graph: Graph) -> Resolver:
    """The Resolver of ``graph``, built once while the graph lives and is not changed.

    A store keeps its naming graph between queries (the web app, a notebook), so
    finding 'iluvatar' for the second query costs a dictionary lookup, not an index
    of every name. A graph that has grown or shrunk since is indexed again (a
    notebook adds to its own Graph); a store that changes one calls ``kg.base.names.forget``.
    """
    return kept_for(graph, Resolver)


class Resolver:
    """Finds the one entity a user means by an id, a name in either language, a ticker or an IRI.

    Built from the naming triples of a graph (rdf:type, labels, aliases, legal names,
    notations). Ways of naming are tried from the most exact to the least: id or ticker,
    a full name, a name without its company-name parts, the last segment of a nested id.
    """

    def __init__(self, graph: Graph):
        self.graph = graph
        self.types: dict[URIRef, set[Any]] = {}
        for subject, kind in graph.subject_objects(RDF.type):
            if isinstance(subject, URIRef):
                self.types.setdefault(subject, set()).add(kind)
        self.keys: dict[URIRef, set[str]] = {}     # ids and notations (tickers)
        self.names: dict[URIRef, set[str]] = {}    # labels, aliases, legal names (normalised)
        self.cores: dict[URIRef, set[str]] = {}    # the same without company-name parts
        self.tails: dict[URIRef, set[str]] = {}    # last segment of a nested id: "2024" of period/2024
        for node in self.types:
            keys = id_keys(node)
            for notation in graph.objects(node, SKOS.notation):
                keys.add(normal_name(str(notation)))
                if ticker := ticker_key(str(notation)):
                    keys.add(ticker)
            for security in graph.subjects(GPU.securityOf, node):
                for ticker in graph.objects(security, GPU.ticker):
                    keys |= name_keys(str(ticker))
            self.keys[node] = keys
            labels = [str(label) for predicate in (RDFS.label, SKOS.altLabel, GPU.legalName)
                      for label in graph.objects(node, predicate)]
            self.names[node] = {normal_name(label) for label in labels}
            self.cores[node] = {core for label in labels if (core := core_name(label))}
            self.tails[node] = {key.rsplit("/", 1)[-1] for key in keys if "/" in key}
        self._by_key: dict[str, set[URIRef]] | None = None

    # --- matching -------------------------------------------------------------------------

    def members(self, kind: URIRef | None) -> set[URIRef]:
        if kind is None:
            return set(self.types)
        kinds = {kind}
        frontier = [kind]
        while frontier:
            for sub in self.graph.subjects(RDFS.subClassOf, frontier.pop()):
                if sub not in kinds:
                    kinds.add(sub)
                    frontier.append(sub)
        return {node for node, types in self.types.items() if types & kinds}

    def matches(self, text: str, candidates: set[URIRef] | None = None) -> list[URIRef]:
        """The candidates ``text`` names, by the most exact way of naming that finds any."""
        candidates = set(self.types) if candidates is None else candidates
        iri = expand_name(text)
        if iri is not None and iri in candidates:
            return [iri]
        wanted = normal_name(text)
        ticker = ticker_key(text)
        core = core_name(text)
        tiers = ((self.keys, {wanted, ticker} - {None}), (self.names, {wanted}), (self.cores, {core} - {""}),
                 (self.tails, {wanted}))
        for index, keys in tiers:
            found = sorted(node for node in candidates if keys & index.get(node, set()))
            if found:
                return found
        return []

    def entity(self, node: URIRef) -> Entity:
        names: list[tuple[str, str]] = []
        for predicate in (RDFS.label, SKOS.altLabel, GPU.legalName, SKOS.notation):
            found = sorted(((label.language or "") if isinstance(label, Literal) else "", str(label))
                           for label in self.graph.objects(node, predicate))
            names.extend(name for name in found if name not in names)
        tickers = sorted(("", str(t)) for security in self.graph.subjects(GPU.securityOf, node)
                         for t in self.graph.objects(security, GPU.ticker))
        names.extend(name for name in tickers if name not in names)
        kinds = sorted({class_label(k, self.graph) for k in self.types.get(node, ())
                        if isinstance(k, URIRef) and k.startswith(str(GPU))})
        return Entity(node, short(node), tuple(names), tuple(kinds))

    def label(self, node: URIRef) -> str:
        labels = {lbl.language: str(lbl) for lbl in self.graph.objects(node, RDFS.label) if isinstance(lbl, Literal)}
        named = " / ".join(labels[lang] for lang in ("en", "zh") if lang in labels)
        return f"{short(node)} ({named})" if named else short(node)

    def complete(self, text: str, kind: URIRef | None = None, *, limit: int = 10) -> list[URIRef]:
        """What a name being typed may be, best first: the web app's completion box and the
        suggestions of an unknown name on the command line.

        First what ``text`` names (``resolve`` would take it), then the things one of whose
        names starts with it, then those with a name that contains it; each group by label.
        """
        wanted = normal_name(text)
        if not wanted:
            return []
        candidates = self.members(kind) if kind is not None else self.named()
        exact = self.matches(text, candidates)
        starts: list[URIRef] = []
        contains: list[URIRef] = []
        for node in candidates:
            if node in exact:
                continue
            names = self.keys.get(node, set()) | self.names.get(node, set()) | self.cores.get(node, set())
            if any(name.startswith(wanted) for name in names):
                starts.append(node)
            elif any(wanted in name for name in names):
                contains.append(node)
        ranked = [*sorted(exact, key=self._order), *sorted(starts, key=self._order), *sorted(contains, key=self._order)]
        return ranked[:limit]

    def _order(self, node: URIRef) -> tuple[str, str]:
        labels = {lbl.language: str(lbl) for lbl in self.graph.objects(node, RDFS.label) if isinstance(lbl, Literal)}
        return ((labels.get("en") or labels.get("zh") or "").casefold(), str(node))

    def closest(self, text: str, candidates: set[URIRef], n: int = 3) -> list[URIRef]:
        """The entities a mistyped or partial name may mean, best first: those with a name that
        starts with or contains it (as the completion box offers them), then the nearest in spelling.
        A ticker is never close to another: 688802.SH and 688795.SH are two companies."""
        if ticker_key(text) is not None:
            return []
        found = [node for node in self.complete(text, limit=len(candidates) or 1) if node in candidates][:n]
        choices: dict[str, URIRef] = {}
        for node in sorted(candidates):
            for key in sorted(self.keys[node] | self.names[node] | self.cores[node]):
                if ticker_key(key) is None:
                    choices.setdefault(key, node)
        for key in difflib.get_close_matches(normal_name(text), list(choices), n=n * 3, cutoff=0.6):
            if choices[key] not in found:
                found.append(choices[key])
        return found[:n]

    def entities(self) -> set[URIRef]:
        """The things facts are about, with an id of their own: not figures, periods or vocabulary."""
        return {node for node in self.types if node.startswith(str(KGR)) and "/" not in node[len(str(KGR)):]}

    def named(self) -> set[URIRef]:
        """What a person looks up by name: the entities, and the metrics and periods figures are given in."""
        return self.entities() | self.members(GPU.Metric) | self.members(GPU.Period)

    def lookup(self, text: str, kind: URIRef | None = None, *, entities_only: bool = False) -> Resolution:
        """Everything ``text`` names (none, one, or several), for ``kg resolve``: with
        ``entities_only``, among the entities, metrics and periods (not facts or vocabulary)."""
        candidates = self.members(kind)
        if entities_only:
            candidates &= self.named()
        found = self.matches(text, candidates) if text.strip() else []
        closest = () if found else tuple(self.entity(n) for n in self.closest(text, candidates))
        return Resolution(text, tuple(self.entity(n) for n in found), closest)

    def resolve(self, text: str, kind: URIRef | None = None) -> URIRef:
        """The one entity ``text`` names, of class ``kind``; a usage error says why there is none."""
        if not text.strip():
            raise UsageError("is empty")
        candidates = self.members(kind)
        found = self.matches(text, candidates)
        if len(found) == 1:
            return found[0]
        what = class_label(kind, self.graph) if kind is not None else "resource"  # for the message only
        if len(found) > 1:
            listed = "; ".join(self.label(node) for node in found)
            raise UsageError(f"'{text}' is ambiguous: it names {len(found)} {what}s: {listed}; give the id")
        if kind is None:
            iri = expand_name(text)
            if iri is not None:
                return iri  # any well-formed IRI will do where no class is asked for
        elsewhere = self.matches(text, set(self.types) - candidates)
        if len(elsewhere) == 1:
            node = elsewhere[0]
            kinds = self.entity(node).kinds
            its = f", which is {article(kinds[0])} {kinds[0]}" if kinds else ""
            raise UsageError(f"'{text}' is {self.label(node)}{its}, not {article(what)} {what}")
        close = self.closest(text, candidates)
        hint = "; did you mean " + " or ".join(sorted(self.label(node) for node in close)) + "?" if close else ""
        raise UsageError(f"no {what} is called '{text}'{hint}")

    # --- mentions in running text ---------------------------------------------------------

    def mentions(self, text: str, candidates: set[URIRef]) -> list[tuple[int, int, tuple[URIRef, ...]]]:
        """Where ``text`` names one of ``candidates``: (start, end, entities), longest names first.

        Names are found whole: 华为 inside 华为海思 is not a mention of Huawei when HiSilicon
        is known, because the longer name takes the place first. Latin names must stand
        between word boundaries.
        """
        by_name: dict[str, set[URIRef]] = {}
        for node in candidates:
            for key in self.names.get(node, set()) | self.cores.get(node, set()):
                if len(key) >= 2 and not key.isdigit():
                    by_name.setdefault(key, set()).add(node)
        # lower case and simplified characters, one for one: every offset is an offset into ``text``
        folded = "".join(c.lower() if len(c.lower()) == 1 else c for c in simplified(text))
        taken = [False] * len(text)
        found: list[tuple[int, int, tuple[URIRef, ...]]] = []
        for name in sorted(by_name, key=lambda k: (-len(k), k)):
            latin = not CJK.search(name)
            pattern = (r"(?<![A-Za-z0-9])" + re.escape(name) + r"(?![A-Za-z0-9])") if latin else re.escape(name)
            for match in re.finditer(pattern, folded):
                start, end = match.span()
                if any(taken[start:end]):
                    continue
                for i in range(start, end):
                    taken[i] = True
                found.append((start, end, tuple(sorted(by_name[name]))))
        return sorted(found)


def describe(resolution: Resolution) -> str:
    """What ``kg resolve`` prints for one name."""
    def entity(e: Entity, indent: str) -> str:
        names = ", ".join(f"{text} ({lang})" if lang else text for lang, text in e.names)
        kinds = ", ".join(e.kinds) or "entity"
        return f"{indent}{e.id}: {names} [{kinds}]\n"

    text = resolution.text
    if resolution.status == "found":
        return f"{text} -> " + entity(resolution.matches[0], "")
    if resolution.status == "ambiguous":
        return (f"{text}: ambiguous, names {len(resolution.matches)} entities (give the id):\n"
                + "".join(entity(e, "  ") for e in resolution.matches))
    closest = "".join(entity(e, "  ") for e in resolution.closest)
    return f"{text}: unknown" + ("; the closest names:\n" + closest if closest else "; nothing is named like it\n")


def resolve(graph: Graph, text: str, kind: URIRef | None = None) -> URIRef:
    """The entity ``text`` names (an id, a name in either language, a ticker or an IRI), of class ``kind``."""
    return Resolver(graph).resolve(text, kind)
