"""Print the demo's links and example queries, with real values from the published graph.

``scripts/demo.sh`` runs it after publishing: the address point with the most repeat-offender
street vendors cited there (for ``repeatOffenders``), one of them (for the explorer), and links
that open /review, /explore and GraphiQL with the development token (``#token=…``).

    python scripts/demo_examples.py --port 8000 --token <JWT>
"""

from __future__ import annotations

import argparse
import json
from urllib.parse import quote

from graph_schema.connection import open_driver, resolve_target

# Address points where vendors with at least two violations in all were cited, most first.
REPEAT_OFFENDER_ADDRESS = """
MATCH (here:Violation)-[:AT]->(a:AddressPoint), (here)-[:INVOLVES]->(p:Person)
WITH DISTINCT a, p
MATCH (p)<-[:INVOLVES]-(v:Violation)
WITH a, p, count(DISTINCT v) AS violations WHERE violations >= 2
ORDER BY violations DESC, p.id
WITH a, count(p) AS offenders, max(violations) AS most, head(collect(p.id)) AS example
WHERE a.district IS NOT NULL AND a.text IS NOT NULL
RETURN a.district + a.text AS address, offenders, most, example
ORDER BY offenders DESC, most DESC, address LIMIT 1
"""


def repeat_offender_example() -> dict | None:
    """The address with the most repeat offenders cited there, and its worst offender's ID."""
    target = resolve_target()
    with open_driver(target) as driver:
        records, _, _ = driver.execute_query(REPEAT_OFFENDER_ADDRESS, database_=target.database)
    return records[0].data() if records else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--token", required=True)
    args = parser.parse_args()
    base = f"http://127.0.0.1:{args.port}"
    example = repeat_offender_example()
    address = example["address"] if example else "白云区良口中横路73号"
    offenders = (
        f"repeatOffenders(address: {json.dumps(address, ensure_ascii=False)}) {{ totalCount\n"
        "      edges { via node { id name violationCount offenderClass } } }"
    )
    query = (
        f"{{\n  repeatOffenders(address: {json.dumps(address, ensure_ascii=False)}) {{\n"
        "    totalCount\n    edges { via node { id name violationCount offenderClass } }\n  }\n}\n"
    )
    explore = f"{base}/explore/#token={args.token}"
    if example:
        explore += f"&id={example['example']}"
    print(f"""
Open (development token in the link, kept in the tab, not in the address bar):
  Review:    {base}/review/#token={args.token}
  Explore:   {explore}
  GraphiQL:  {base}/graphql#token={args.token}&query={quote(query)}
  Token:     Authorization: Bearer {args.token}
  Neo4j:     eval "$(.venv/bin/huitong neo4j env)"

Example queries:
  {{ searchPeople(name: "陳偉") {{ totalCount edges {{ via node {{ id name district }} }} }} }}
  {{ {offenders} }}""")
    if example:
        print(
            f"    ({address}: {example['offenders']} repeat offenders cited there, "
            f"the most with {example['most']} violations)"
        )
    print("  { me { subject role department district street community identifiersVisible } }")


if __name__ == "__main__":
    main()
