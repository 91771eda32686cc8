SELECT "id" FROM "synapses"
WHERE regexp_matches("cell_type", $p0)
-- params: {'p0': '^(sst|pv)'}
