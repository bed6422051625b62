"""Real-time resolution: records submitted one call at a time are staged, matched and given
golden IDs in milliseconds, written to the graph and journalled in the workdir, so the next
batch run treats them as part of their sources and keeps their IDs.

The one layer that joins ingest (:mod:`loaders`: the sources contract, standardisation,
quarantine), resolution (:mod:`resolution`: the run's snapshot, models, survivorship) and the
graph (:mod:`graph_schema`) in one process: the API reaches ingest and the resolver through
here only (see the import contracts). :mod:`realtime.engine` is its surface.
"""
