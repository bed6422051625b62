"""Clustering: scored pairs → clusters of mentions, never violating a hard constraint.

Input: ``mentions`` (from ingest) and ``pairs_<entity>`` (from prediction: ``mention_id_l``,
``mention_id_r``, ``match_probability``…). Output, both replaced on every run:

- ``clusters_<entity>(mention_id, cluster_key)``: every mention of the entity type, singletons
  included; ``cluster_key`` is the cluster's smallest mention id;
- ``weak_links_<entity>(cluster_key, mention_id_l, mention_id_r, match_probability)``: predicted
  edges whose removal would split their cluster and whose probability is below the review
  band's upper end — the links a steward should look at first.
- ``ambiguous_<entity>(mention_id_l, mention_id_r, match_probability)``: for each mention left
  out as ambiguous (below), its strongest pair with each entity it could belong to.

Edges at or above the threshold are taken in descending probability (ties by mention ids) and
joined with a union-find that refuses any union a hard constraint forbids: a resident ID, a
USCC, a branch against its parent, a room, a building, an address point (its road written
either way). Because constraints only ever accumulate, the order fixes the result: the same
input always gives the same clusters. Steward decisions come first: must-links are joined
regardless of constraints, cannot-links become constraints themselves.

A mention without an identifier of its own (no USCC) can score above the threshold with two
entities that constraints keep apart: a trade name written alone (广州月信) that registered
enterprises of like-sounding names share (越信, 越鑫, 粤新). Greedy joining would put it with
whichever came first. Since it can be at most one of them, the evidence is
weighed across them: the odds o_i of its best pair with each identified entity give the best
one the probability o_best / (1 + Σ o_i). Below the threshold the mention is *ambiguous*: the
clustering is run again without its links to anything but other ambiguous mentions, it stays
apart, and its pairs go to the review queue.

Last, the model's ``attach`` step (:class:`resolution.model_spec.AttachSpec`) joins clusters of
bare mentions (a name and nothing that could contradict it) to the one identified cluster that
shares their key; where several do, to the one the rows' witnesses name (the resident ID of
an employee a short firm name is written beside), an ambiguous mention included.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pyarrow as pa

from huitong.vocabulary import ENTITY_TYPES as ENTITIES
from resolution.errors import ConflictingDecisions, MissingTable, UnknownEntity
from resolution.model_spec import AttachSpec, load_model_spec

DEFAULT_WEAK_LINK_BELOW = 0.95
"""Upper end of the default review band: a bridging edge below it is a weak link."""

_AMBIGUOUS = "coalesce(address_problem LIKE '%ambiguous:%', false)"

CONSTRAINTS: dict[str, dict[str, str]] = {
    "person": {
        # A relative's ID is no constraint: one that the birth date or gender written beside it
        # contradicts, or one written beside a name its holder is not registered under (the
        # person model's ``id_contradicted``, a window over all the person mentions).
        "resident_id": (
            f"CASE WHEN id_valid AND NOT ({load_model_spec('person').columns['id_contradicted']})"
            " THEN NULLIF(id_number, '') END"
        ),
    },
    "enterprise": {
        "uscc": "CASE WHEN uscc_valid THEN NULLIF(uscc, '') END",
        "branch_vs_parent": (
            "CASE WHEN ent_is_branch THEN 'branch' WHEN NOT ent_is_branch THEN 'parent' END"
        ),
        "branch_name": "CASE WHEN ent_is_branch THEN NULLIF(ent_branch_name, '') END",
    },
    # Digits run together after 之 (33号之12102: 之1 and room 2102, or 之12 and room 102) leave
    # sub-number, building and room uncertain: the parser says so, and they constrain nothing.
    # A unit in another district or street is another unit (the model's own guard, pair by
    # pair); as constraints they also keep a mention that names neither from chaining two
    # districts' namesakes (裕德路 8号 in one, 裕德大街 8号 in the other).
    "rental_unit": {
        "district": "NULLIF(district, '')",
        "street": "NULLIF(street, '')",
        "room": f"CASE WHEN NOT {_AMBIGUOUS} THEN NULLIF(room, '') END",
        "building": f"CASE WHEN NOT {_AMBIGUOUS} THEN NULLIF(building, '') END",
        "address_point": (
            f"CASE WHEN house_number IS NOT NULL AND road_core IS NOT NULL AND NOT {_AMBIGUOUS}"
            " THEN road_core || '|' || house_number || '|' || coalesce(sub_number, '') END"
        ),
    },
}
"""Per entity type: constraint name → SQL over ``mentions`` giving the mention's value, or NULL.
The SQL may hold window functions over the entity type's mentions: evaluate it in a SELECT over
all of them (``FROM mentions WHERE entity = …``), never in a WHERE.

Two clusters may not merge if, for any constraint, both hold a value and together they hold
more than one (a cluster forced by must-links to hold two values merges with nothing that
holds any).
"""

IDENTIFIERS: dict[str, tuple[str, ...]] = {"enterprise": ("uscc",)}
"""Per entity type: the constraints that identify (a mention holding one is *identified*); only
mentions holding none are weighed for ambiguity. Not persons: a mention scores nearly as high
with a relative sharing its household's phone and address as with the person, the name
decides and the probabilities do not weigh it enough (on a development city the weighing left
34 person mentions apart that the strongest-first order had rightly joined: recall 0.9967 →
0.9948). Rental units have no identifier."""

_NONE = -1
_SEVERAL = -2


@dataclass(frozen=True)
class ClusterResult:
    """What :func:`cluster_entity` did; the clusters themselves are in ``clusters_<entity>``."""

    entity: str
    threshold: float
    mentions: int
    clusters: int
    edges: int
    """Distinct pairs at or above the threshold."""
    accepted: int
    """Edges that joined two clusters."""
    refused: dict[str, int] = field(default_factory=dict)
    """Constraint name (or ``cannot_link``) → edges refused because of it."""
    weak_links: int = 0
    ignored_decisions: int = 0
    """Steward pairs naming a mention that is not (or no longer) staged for this entity type."""
    attached: int = 0
    """Clusters of bare mentions joined to the one identified cluster sharing their key
    (:class:`resolution.model_spec.AttachSpec`)."""
    ambiguous: int = 0
    """Mentions left apart because their evidence is split between entities held apart."""


def check_entity(entity: str) -> str:
    """``entity`` if it is one of :data:`ENTITIES` (it becomes part of table names), else raise."""
    if entity not in ENTITIES:
        raise UnknownEntity(entity, ENTITIES)
    return entity


def table_exists(connection: duckdb.DuckDBPyConnection, table: str) -> bool:
    row = connection.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [table]
    ).fetchall()[0]
    return bool(row and row[0])


def require_table(connection: duckdb.DuckDBPyConnection, table: str, produced_by: str) -> None:
    if not table_exists(connection, table):
        raise MissingTable(table, produced_by)


def cluster_entity(
    connection: duckdb.DuckDBPyConnection,
    entity: str,
    threshold: float,
    *,
    must_link: Iterable[tuple[str, str]] = (),
    cannot_link: Iterable[tuple[str, str]] = (),
    weak_link_below: float = DEFAULT_WEAK_LINK_BELOW,
) -> ClusterResult:
    """Cluster the mentions of ``entity`` from ``pairs_<entity>`` and write the cluster tables.

    ``threshold`` is the lowest match probability that may join two mentions;
    ``must_link``/``cannot_link`` are steward decisions as mention-id pairs (a pair naming an
    unknown mention is ignored and counted); ``weak_link_below`` is the upper end of the review
    band. Raises :class:`ConflictingDecisions` when must-links join a cannot-link pair.
    """
    check_entity(entity)
    require_table(connection, "mentions", "ingest")
    pairs_table = f"pairs_{entity}"
    require_table(connection, pairs_table, "prediction (resolution.predict)")
    try:
        return _cluster(
            connection, entity, threshold, list(must_link), list(cannot_link), weak_link_below
        )
    finally:
        connection.execute("DROP TABLE IF EXISTS _cluster_mentions")


def _cluster(
    connection: duckdb.DuckDBPyConnection,
    entity: str,
    threshold: float,
    must_link: list[tuple[str, str]],
    cannot_link: list[tuple[str, str]],
    weak_link_below: float,
) -> ClusterResult:
    pairs_table = f"pairs_{entity}"
    codes, n = _load_mentions(connection, entity)
    must, ignored_must = _decision_indices(connection, must_link)
    cannot, ignored_cannot = _decision_indices(connection, cannot_link)
    edges = _load_edges(connection, pairs_table, threshold)

    joined = _join(n, codes, must, cannot, edges)
    if joined.conflicts:
        raise ConflictingDecisions(entity, _mention_ids(connection, joined.conflicts))
    spec = load_model_spec(entity).attach
    profile = (
        _profiles(connection, entity, n) if IDENTIFIERS.get(entity) or spec is not None else None
    )
    ambiguous: dict[int, dict[int, tuple[float, int]]] = {}
    kept = edges
    if IDENTIFIERS.get(entity):
        identified = np.zeros(n, dtype=bool)
        for name in IDENTIFIERS[entity]:
            identified |= np.asarray(codes[name]) != _NONE
        ambiguous = _ambiguous(joined.forest, edges, identified, threshold)
        if ambiguous:
            held = np.isin(profile, profile[list(ambiguous)])
            left, right, _ = edges
            apart = held[left] != held[right]
            kept = tuple(e[~apart] for e in edges)
            joined = _join(n, codes, must, cannot, kept)
    forest, graph = joined.forest, joined.graph

    attached = 0
    if spec is not None:
        rows = _attach_rows(connection, spec)
        view = _bare_view(rows, forest, profile.tolist())
        named = _witnesses(connection, spec.witness) if spec.witness is not None else {}
        dissent = _dissenters(view, named) if named else []
        if dissent:
            cut = np.zeros(n, dtype=bool)
            cut[dissent] = True
            kept = tuple(e[~(cut[kept[0]] | cut[kept[1]])] for e in kept)
            joined = _join(n, codes, must, cannot, kept)
            forest, graph = joined.forest, joined.graph
            view = _bare_view(rows, forest, profile.tolist())
        skip = {forest.find(x) for x in ambiguous}
        attached = _attach_bare(connection, entity, forest, graph, spec, view, named, skip)

    roots = forest.roots()
    _, first, inverse = np.unique(roots, return_index=True, return_inverse=True)
    cluster_index = first[inverse]
    _write_clusters(connection, entity, cluster_index)
    weak = graph.weak_links(roots, weak_link_below)
    _write_weak_links(connection, entity, weak, cluster_index)
    _write_ambiguous(connection, entity, ambiguous)
    return ClusterResult(
        entity=entity,
        threshold=threshold,
        mentions=n,
        clusters=len(first),
        edges=len(edges[2]),
        accepted=joined.accepted,
        refused=dict(sorted(joined.refused.items())),
        weak_links=len(weak[0]),
        ignored_decisions=ignored_must + ignored_cannot,
        attached=attached,
        ambiguous=len(ambiguous),
    )


@dataclass
class _Joined:
    """The forest and edge graph of one pass of joining, with its counts."""

    forest: Forest
    graph: _Graph
    accepted: int = 0
    refused: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    conflicts: list[tuple[int, int]] = field(default_factory=list)
    """Cannot-link pairs the must-links joined."""


def _join(
    n: int,
    codes: dict[str, list[int]],
    must: list[tuple[int, int]],
    cannot: list[tuple[int, int]],
    edges: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> _Joined:
    """Steward decisions first, then ``edges`` strongest first, refusing any union a
    constraint forbids (``codes`` is left as it was: the forest works on a copy)."""
    forest = Forest(n, {name: list(values) for name, values in codes.items()})
    for k, (a, b) in enumerate(cannot):
        forest.forbid(k, a, b)
    joined = _Joined(forest, _Graph())
    graph = joined.graph
    for a, b in must:
        graph.add(a, b, 1.0, tree=forest.union(a, b), steward=True)
    joined.conflicts = [(a, b) for a, b in cannot if forest.find(a) == forest.find(b)]
    if joined.conflicts:
        return joined
    find, union, conflict = forest.find, forest.union, forest.conflict
    for a, b, p in zip(*(e.tolist() for e in edges), strict=True):
        ra, rb = find(a), find(b)
        if ra == rb:
            graph.add(a, b, p, tree=False, steward=False)
            continue
        reason = conflict(ra, rb)
        if reason is not None:
            joined.refused[reason] += 1
            continue
        union(a, b)
        joined.accepted += 1
        graph.add(a, b, p, tree=True, steward=False)
    return joined


def _ambiguous(
    forest: Forest,
    edges: tuple[np.ndarray, np.ndarray, np.ndarray],
    identified: np.ndarray,
    threshold: float,
) -> dict[int, dict[int, tuple[float, int]]]:
    """Mentions without an identifier whose pairs at or above the threshold reach identified
    mentions of two or more clusters (held apart, or they would be one), none decisively: the
    best cluster's share of the odds, o_best / (1 + Σ o), is below ``threshold``. Returns each
    such mention → cluster root → (its best pair's probability, the mention it pairs with)."""
    left, right, _ = edges
    mixed = identified[left] != identified[right]
    reach: dict[int, dict[int, tuple[float, int]]] = defaultdict(dict)
    pairs = zip(*(e[mixed].tolist() for e in edges), strict=True)
    for a, b, p in pairs:
        x, y = (b, a) if identified[a] else (a, b)
        root = forest.find(y)
        best = reach[x].get(root)
        if best is None or p > best[0]:
            reach[x][root] = (p, y)
    return {
        x: by_root
        for x, by_root in reach.items()
        if len(by_root) > 1 and torn([p for p, _ in by_root.values()], threshold)
    }


def torn(probabilities: Sequence[float], threshold: float) -> bool:
    """Whether a mention that can be only one of several entities, scoring ``probabilities``
    with each, is left undecided: the best one's share of the odds, o_best / (1 + Σ o), is
    below ``threshold``. (Also the real-time engine's rule, so the next batch agrees.)"""
    odds = [p / max(1.0 - p, 1e-12) for p in probabilities]
    return len(odds) > 1 and max(odds) / (1.0 + sum(odds)) < threshold


def _profiles(connection: duckdb.DuckDBPyConnection, entity: str, n: int) -> np.ndarray:
    """Each mention's profile as the index of its representative (itself when there are no
    profiles): the mentions identical on every matching column move together."""
    profiles = f"mention_profiles_{entity}"
    if not table_exists(connection, profiles):
        return np.arange(n, dtype=np.int64)
    result = connection.execute(
        f"""
        SELECT c.idx, coalesce(r.idx, c.idx) AS rep
        FROM _cluster_mentions c
        LEFT JOIN {profiles} f USING (mention_id)
        LEFT JOIN _cluster_mentions r ON r.mention_id = f.profile_id
        ORDER BY c.idx
        """
    ).fetchnumpy()
    return np.asarray(result["rep"], dtype=np.int64)


@dataclass
class _BareView:
    """The attach step's view of the clusters: each root's members (index, key, bare,
    profile), the identified clusters that carry each key, and the clusters of bare mentions
    with one key."""

    members: dict[int, list[tuple[int, str | None, bool, int]]]
    owners: dict[str, set[int]]
    orphans: list[tuple[int, str]]
    root: dict[int, int]
    short: set[int]
    """bare mentions that are nothing but the key (see :attr:`AttachSpec.short`)"""
    said: dict[int, Counter[str]] = field(default_factory=dict)
    """per owner, in how many of its mentions' rows each witness is named (read on demand)"""

    def linked(self, idx: int, key: str, named: dict[int, set[str]]) -> set[int]:
        """The owners of ``key`` whose rows, other than mention ``idx``'s own, name one of the
        witnesses ``idx``'s row names."""
        mine = named.get(idx)
        if not mine:
            return set()
        found = set()
        for owner in self.owners[key]:
            if owner not in self.said:
                self.said[owner] = Counter(
                    witness
                    for member, _, _, _ in self.members[owner]
                    for witness in named.get(member, ())
                )
            itself = int(self.root[idx] == owner)
            if any(self.said[owner][witness] > itself for witness in mine):
                found.add(owner)
        return found


def _bare_view(
    rows: list[tuple[int, str | None, bool, bool]], forest: Forest, profile: list[int]
) -> _BareView:
    members: dict[int, list[tuple[int, str | None, bool, int]]] = defaultdict(list)
    root: dict[int, int] = {}
    short: set[int] = set()
    for idx, key, bare, alone in rows:
        root[idx] = forest.find(idx)
        members[root[idx]].append((idx, key, bare, profile[idx]))
        if alone:
            short.add(idx)
    owners: dict[str, set[int]] = defaultdict(set)
    orphans: list[tuple[int, str]] = []
    for top, found in members.items():
        keys = {key for _, key, _, _ in found}
        if all(bare for _, _, bare, _ in found):
            if len(keys) == 1 and None not in keys:
                orphans.append((top, next(iter(keys))))
        else:
            for key in keys - {None}:
                owners[key].add(top)
    return _BareView(members, owners, orphans, root, short)


def _attach_rows(
    connection: duckdb.DuckDBPyConnection, spec: AttachSpec
) -> list[tuple[int, str | None, bool, bool]]:
    """Each mention's attach key, whether it is bare and whether it is short (bare and nothing
    but the key), by index."""
    short = spec.short or "false"
    rows = connection.execute(
        f"""
        SELECT c.idx, ({spec.key})::VARCHAR, coalesce(({spec.bare}), false),
               coalesce(({spec.bare}) AND ({short}), false)
        FROM _cluster_mentions c JOIN mentions m USING (mention_id)
        ORDER BY c.idx
        """
    ).fetchall()
    return [(idx, key, bool(bare), bool(alone)) for idx, key, bare, alone in rows]


def _dissenters(view: _BareView, named: dict[int, set[str]]) -> list[int]:
    """Bare mentions to hold apart from their cluster before attaching, where several
    identified clusters share their key (the same short name written alone, 广州展银, for three
    firms) and witnesses disagree with where the mention stands:

    - in a cluster of bare mentions whose members' witnesses point at different firms, every
      member whose witnesses point elsewhere than at the most named firm (or anywhere, on a
      tie) leaves it, so that each side can join its own firm;
    - in a firm's cluster (an identical short name written for that firm joined it at once), a
      short mention (nothing but the key) whose witnesses point only at another firm leaves it;
      a full name stays (an employee may have worked for two firms of one trade name).
    """
    held: list[int] = []
    for root, key in view.orphans:
        if len(view.owners.get(key, ())) < 2:
            continue
        linked = {idx: view.linked(idx, key, named) for idx, _, _, _ in view.members[root]}
        if len(set().union(*linked.values())) < 2:
            continue
        votes = Counter(next(iter(found)) for found in linked.values() if len(found) == 1)
        top = votes.most_common(2)
        winner = top[0][0] if len(top) == 1 or (top and top[0][1] > top[1][1]) else None
        held += [idx for idx, found in linked.items() if found and found != {winner}]
    for key, owners in view.owners.items():
        if len(owners) < 2:
            continue
        for owner in sorted(owners):
            for idx, mine, _, _ in view.members[owner]:
                if idx in view.short and mine == key:
                    found = view.linked(idx, key, named)
                    if found and owner not in found:
                        held.append(idx)
    return held


def _attach_bare(
    connection: duckdb.DuckDBPyConnection,
    entity: str,
    forest: Forest,
    graph: _Graph,
    spec: AttachSpec,
    view: _BareView,
    named: dict[int, set[str]],
    skip: set[int],
) -> int:
    """Join each cluster of bare mentions to the one identified cluster sharing its key (see
    :class:`resolution.model_spec.AttachSpec`) or to the one its witnesses (``named``, by
    mention) name; the clusters rooted in ``skip`` (held apart as ambiguous: the model could
    not tell which) join only by their witnesses. Returns how many joined. Pairs join
    profiles' representatives, so a mention's evidence is its profile's.

    A join by the one owner of the key needs a pair at ``spec.min_probability`` or above; a
    join by witnesses takes the best pair there is, however weak (a trade name that a dozen
    firms share scores low with each of them: the witness is the evidence, and the pair is kept
    for it by :func:`resolution.scoring.write_pairs`), and an edge above the threshold too (a
    mention held apart as ambiguous or dissenting lost its strong edges). Witnesses naming an
    owner the constraints forbid (the firm's branch, for a name that is not a branch's) do
    not count."""
    members, owners = view.members, view.owners
    wanted: dict[int, tuple[int, float]] = {}
    for root, key in view.orphans:
        found = owners.get(key, ())
        if len(found) == 1 and root not in skip:
            wanted[root] = (next(iter(found)), spec.min_probability)
        elif found and named:
            witnessed = set().union(*(view.linked(idx, key, named) for idx, *_ in members[root]))
            linked = {
                owner
                for owner in witnessed
                if forest.conflict(forest.find(root), forest.find(owner)) is None
            }
            if len(linked) == 1:
                wanted[root] = (next(iter(linked)), 0.0)
    if not wanted:
        return 0
    # Only the edges of the joining clusters' profiles are looked at: the pairs table is the
    # whole entity type's (a city's persons), so only those go into Python.
    reps = np.fromiter({rep for root in wanted for *_, rep in members[root]}, dtype=np.int64)
    left, right, probability = _load_edges(connection, f"pairs_{entity}", 0.0)
    touching = np.isin(left, reps) | np.isin(right, reps)
    left, right, probability = left[touching], right[touching], probability[touching]
    edges: dict[int, list[tuple[int, float]]] = defaultdict(list)
    for a, b, p in zip(left.tolist(), right.tolist(), probability.tolist(), strict=True):
        edges[a].append((b, p))
        edges[b].append((a, p))
    attached = 0
    for root, (target, least) in sorted(wanted.items()):
        by_profile = {rep: idx for idx, _, _, rep in members[target]}
        best: tuple[float, int, int] | None = None
        for idx, _, _, rep in members[root]:
            for other, p in edges.get(rep, ()):
                if p >= least and other in by_profile and (best is None or p > best[0]):
                    best = (p, idx, by_profile[other])
        if best is None or forest.conflict(forest.find(root), forest.find(target)) is not None:
            continue
        p, a, b = best
        forest.union(a, b)
        graph.add(min(a, b), max(a, b), p, tree=True, steward=False)
        attached += 1
    return attached


def _witnesses(connection: duckdb.DuckDBPyConnection, witness: str) -> dict[int, set[str]]:
    """Each mention's witnesses (see :attr:`resolution.model_spec.AttachSpec.witness`): the
    values of ``witness`` over the mentions its row relates it to, by index."""
    rows = connection.execute(
        f"""
        WITH near AS (
            SELECT c.idx, r.to_mention AS other
            FROM _cluster_mentions c JOIN relations r ON r.from_mention = c.mention_id
            UNION ALL
            SELECT c.idx, r.from_mention
            FROM _cluster_mentions c JOIN relations r ON r.to_mention = c.mention_id
        )
        SELECT DISTINCT near.idx, m.witness
        FROM near JOIN (SELECT mention_id, ({witness})::VARCHAR AS witness FROM mentions) m
            ON m.mention_id = near.other
        WHERE m.witness IS NOT NULL
        """
    ).fetchall()
    named: defaultdict[int, set[str]] = defaultdict(set)
    for idx, value in rows:
        named[idx].add(value)
    return dict(named)


def _load_mentions(
    connection: duckdb.DuckDBPyConnection, entity: str
) -> tuple[dict[str, list[int]], int]:
    """Number the entity's mentions by mention id (temp table) and code their constraint values."""
    constraints = CONSTRAINTS[entity]
    values = ", ".join(f"{sql} AS c_{name}" for name, sql in constraints.items())
    connection.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _cluster_mentions AS
        SELECT row_number() OVER (ORDER BY mention_id) - 1 AS idx, mention_id, {values}
        FROM mentions WHERE entity = ?
        """,
        [entity],
    )
    coded = ", ".join(
        f"CASE WHEN c_{name} IS NULL THEN {_NONE} "
        f"ELSE dense_rank() OVER (PARTITION BY c_{name} IS NULL ORDER BY c_{name}) END "
        f"AS c_{name}"
        for name in constraints
    )
    result = connection.execute(f"SELECT {coded} FROM _cluster_mentions ORDER BY idx").fetchnumpy()
    codes = {name: np.asarray(result[f"c_{name}"], dtype=np.int64).tolist() for name in constraints}
    return codes, len(next(iter(codes.values())))


def _decision_indices(
    connection: duckdb.DuckDBPyConnection, pairs: Iterable[tuple[str, str]]
) -> tuple[list[tuple[int, int]], int]:
    """Steward pairs as mention indices, in the given order; also how many were ignored."""
    pairs = [(str(left), str(right)) for left, right in pairs]
    if not pairs:
        return [], 0
    decisions = pa.table(
        {
            "k": list(range(len(pairs))),
            "l": [left for left, _ in pairs],
            "r": [right for _, right in pairs],
        }
    )
    connection.register("_cluster_decisions", decisions)
    try:
        rows = connection.execute(
            """
            SELECT a.idx, b.idx FROM _cluster_decisions d
            JOIN _cluster_mentions a ON a.mention_id = d.l
            JOIN _cluster_mentions b ON b.mention_id = d.r
            WHERE a.idx <> b.idx ORDER BY d.k
            """
        ).fetchall()
    finally:
        connection.unregister("_cluster_decisions")
    return [(int(a), int(b)) for a, b in rows], len(pairs) - len(rows)


def _load_edges(
    connection: duckdb.DuckDBPyConnection,
    pairs_table: str,
    threshold: float,
    *,
    below: float = 2.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct pairs at or above ``threshold`` (and below ``below``), strongest first, ties by
    mention ids."""
    result = connection.execute(
        f"""
        WITH p AS (
            SELECT least(mention_id_l, mention_id_r) AS a,
                   greatest(mention_id_l, mention_id_r) AS b,
                   max(match_probability) AS p
            FROM {pairs_table}
            WHERE match_probability >= ? AND mention_id_l <> mention_id_r
            GROUP BY 1, 2
            HAVING max(match_probability) < ?
        )
        SELECT ma.idx AS l, mb.idx AS r, p.p AS p FROM p
        JOIN _cluster_mentions ma ON ma.mention_id = p.a
        JOIN _cluster_mentions mb ON mb.mention_id = p.b
        ORDER BY p.p DESC, ma.idx, mb.idx
        """,
        [threshold, below],
    ).fetchnumpy()
    return (
        np.asarray(result["l"], dtype=np.int64),
        np.asarray(result["r"], dtype=np.int64),
        np.asarray(result["p"], dtype=np.float64),
    )


def _mention_ids(
    connection: duckdb.DuckDBPyConnection, pairs: Sequence[tuple[int, int]]
) -> list[tuple[str, str]]:
    ids = dict(connection.execute("SELECT idx, mention_id FROM _cluster_mentions").fetchall())
    return [(ids[a], ids[b]) for a, b in pairs]


class Forest:
    """Union-find with, per root, the cluster's constraint codes and cannot-link sides.

    Also serves without constraint codes (``codes={}``), as plain union-find with cannot-links:
    :func:`resolution.decisions.constraints_for` uses it to weigh steward decisions."""

    def __init__(self, n: int, codes: dict[str, list[int]]) -> None:
        self.parent = list(range(n))
        self.size = [1] * n
        self.codes = codes
        self.several: dict[tuple[str, int], set[int]] = {}
        """The values of a constraint in a cluster a steward joined despite them."""
        self.sides: dict[int, dict[int, int]] = {}

    def _values(self, name: str, root: int) -> set[int]:
        code = self.codes[name][root]
        return self.several[(name, root)] if code == _SEVERAL else {code}

    def find(self, x: int) -> int:
        parent = self.parent
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    def forbid(self, k: int, a: int, b: int) -> None:
        """Cannot-link ``k``: the clusters of ``a`` and ``b`` must stay apart."""
        self.sides.setdefault(self.find(a), {})[k] = 0
        self.sides.setdefault(self.find(b), {})[k] = 1

    def conflict(self, ra: int, rb: int) -> str | None:
        """Name of the first constraint that forbids joining roots ``ra`` and ``rb``, or None."""
        for name, code in self.codes.items():
            ca, cb = code[ra], code[rb]
            if ca == _NONE or cb == _NONE or (ca == cb and ca != _SEVERAL):
                continue
            if ca != _SEVERAL and cb != _SEVERAL:
                return name
            # A steward joined several values in one cluster: a mention carrying one of them
            # may still join it; a new value may not.
            va, vb = self._values(name, ra), self._values(name, rb)
            if not (va <= vb or vb <= va):
                return name
        sides = self.sides
        if ra in sides and rb in sides:
            small, large = sorted((sides[ra], sides[rb]), key=len)
            for k, side in small.items():
                if large.get(k, side) != side:
                    return "cannot_link"
        return None

    def union(self, a: int, b: int) -> bool:
        """Join the clusters of ``a`` and ``b`` unconditionally; False if already one."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        if self.size[ra] < self.size[rb]:
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.size[ra] += self.size[rb]
        for name, code in self.codes.items():
            ca, cb = code[ra], code[rb]
            if ca == _NONE:
                code[ra] = cb
                if cb == _SEVERAL:
                    self.several[(name, ra)] = self.several.pop((name, rb))
            elif cb != _NONE and (cb != ca or ca == _SEVERAL):
                values = self._values(name, ra) | self._values(name, rb)
                self.several.pop((name, rb), None)
                if len(values) > 1:
                    code[ra] = _SEVERAL
                    self.several[(name, ra)] = values
        if rb in self.sides:
            moved = self.sides.pop(rb)
            self.sides.setdefault(ra, {}).update(moved)
        return True

    def roots(self) -> np.ndarray:
        parent = np.asarray(self.parent, dtype=np.int64)
        while True:
            grand = parent[parent]
            if np.array_equal(grand, parent):
                return parent
            parent = grand


class _Graph:
    """The edges inside clusters: tree edges (they joined two clusters) and the others."""

    def __init__(self) -> None:
        self.left: list[int] = []
        self.right: list[int] = []
        self.probability: list[float] = []
        self.candidate: list[bool] = []

    def add(self, a: int, b: int, p: float, *, tree: bool, steward: bool) -> None:
        self.left.append(a)
        self.right.append(b)
        self.probability.append(p)
        self.candidate.append(tree and not steward)

    def weak_links(
        self, roots: np.ndarray, below: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Predicted edges below ``below`` whose removal splits their cluster (bridges)."""
        empty = np.empty(0, dtype=np.int64)
        if not self.left:
            return empty, empty, np.empty(0)
        left = np.asarray(self.left, dtype=np.int64)
        right = np.asarray(self.right, dtype=np.int64)
        probability = np.asarray(self.probability)
        candidate = np.asarray(self.candidate) & (probability < below)
        if not candidate.any():
            return empty, empty, np.empty(0)
        root = roots[left]
        # A cluster with no edge besides its predicted tree edges is a tree: all are bridges.
        others = np.zeros(len(roots), dtype=np.int64)
        np.add.at(others, root[~np.asarray(self.candidate)], 1)
        is_bridge = candidate & (others[root] == 0)
        cyclic = candidate & ~is_bridge
        if cyclic.any():
            clusters = np.unique(root[cyclic])
            inside = np.isin(root, clusters)
            edge_ids = np.flatnonzero(inside)
            bridges = _bridges(left[edge_ids], right[edge_ids])
            is_bridge[edge_ids[bridges & candidate[edge_ids]]] = True
        chosen = np.flatnonzero(is_bridge)
        return left[chosen], right[chosen], probability[chosen]


def _bridges(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Which edges of an undirected multigraph are bridges (iterative Tarjan, by edge id)."""
    nodes, local = np.unique(np.concatenate([left, right]), return_inverse=True)
    m = len(left)
    u, v = local[:m], local[m:]
    n = len(nodes)
    ends = np.concatenate([u, v])
    others = np.concatenate([v, u])
    edge_of = np.concatenate([np.arange(m), np.arange(m)])
    order = np.argsort(ends, kind="stable")
    starts = np.searchsorted(ends[order], np.arange(n + 1)).tolist()
    neighbour = others[order].tolist()
    via = edge_of[order].tolist()
    discovered = [-1] * n
    low = [0] * n
    bridge = [False] * m
    clock = 0
    for start in range(n):
        if discovered[start] != -1:
            continue
        discovered[start] = low[start] = clock
        clock += 1
        stack = [(start, -1, starts[start])]
        while stack:
            node, parent_edge, position = stack[-1]
            if position < starts[node + 1]:
                stack[-1] = (node, parent_edge, position + 1)
                edge = via[position]
                if edge == parent_edge:
                    continue
                nxt = neighbour[position]
                if discovered[nxt] == -1:
                    discovered[nxt] = low[nxt] = clock
                    clock += 1
                    stack.append((nxt, edge, starts[nxt]))
                elif discovered[nxt] < low[node]:
                    low[node] = discovered[nxt]
                continue
            stack.pop()
            if stack:
                parent = stack[-1][0]
                if low[node] < low[parent]:
                    low[parent] = low[node]
                if low[node] > discovered[parent]:
                    bridge[parent_edge] = True
    return np.asarray(bridge, dtype=bool)


def _write_clusters(
    connection: duckdb.DuckDBPyConnection, entity: str, cluster_index: np.ndarray
) -> None:
    assignment = pa.table(
        {"idx": np.arange(len(cluster_index), dtype=np.int64), "key_idx": cluster_index}
    )
    connection.register("_cluster_assignment", assignment)
    try:
        connection.execute(
            f"""
            CREATE OR REPLACE TABLE clusters_{entity} AS
            SELECT m.mention_id, k.mention_id AS cluster_key
            FROM _cluster_assignment a
            JOIN _cluster_mentions m ON m.idx = a.idx
            JOIN _cluster_mentions k ON k.idx = a.key_idx
            ORDER BY cluster_key, m.mention_id
            """
        )
    finally:
        connection.unregister("_cluster_assignment")


def _write_weak_links(
    connection: duckdb.DuckDBPyConnection,
    entity: str,
    weak: tuple[np.ndarray, np.ndarray, np.ndarray],
    cluster_index: np.ndarray,
) -> None:
    left, right, probability = weak
    _write_links(
        connection, f"weak_links_{entity}", left.tolist(), right.tolist(), probability.tolist(),
        cluster_index[left].tolist(),
    )  # fmt: skip


def _write_ambiguous(
    connection: duckdb.DuckDBPyConnection,
    entity: str,
    ambiguous: dict[int, dict[int, tuple[float, int]]],
) -> None:
    rows = [(x, y, p) for x, by_root in ambiguous.items() for p, y in by_root.values()]
    left, right, probability = ([row[i] for row in rows] for i in range(3))
    _write_links(connection, f"ambiguous_{entity}", left, right, probability)


def _write_links(
    connection: duckdb.DuckDBPyConnection,
    table: str,
    left: list[int],
    right: list[int],
    probability: list[float],
    key_idx: list[int] | None = None,
) -> None:
    """Replace ``table`` with pairs of mentions given by index (and, with ``key_idx``, the
    cluster each lies in as a first column ``cluster_key``)."""
    links = pa.table(
        {
            "l": pa.array(left, pa.int64()),
            "r": pa.array(right, pa.int64()),
            "p": pa.array(probability, pa.float64()),
            "key_idx": pa.array(key_idx if key_idx is not None else left, pa.int64()),
        }
    )
    key = "k.mention_id AS cluster_key, " if key_idx is not None else ""
    order = "cluster_key, " if key_idx is not None else ""
    connection.register("_cluster_links", links)
    try:
        connection.execute(
            f"""
            CREATE OR REPLACE TABLE {table} AS
            SELECT {key}ml.mention_id AS mention_id_l, mr.mention_id AS mention_id_r,
                   w.p AS match_probability
            FROM _cluster_links w
            JOIN _cluster_mentions ml ON ml.idx = w.l
            JOIN _cluster_mentions mr ON mr.idx = w.r
            JOIN _cluster_mentions k ON k.idx = w.key_idx
            ORDER BY {order}mention_id_l, mention_id_r
            """
        )
    finally:
        connection.unregister("_cluster_links")
