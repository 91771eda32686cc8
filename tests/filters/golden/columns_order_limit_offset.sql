SELECT "id", "size" FROM "synapses"
ORDER BY "size" DESC, "id" ASC
LIMIT $p0
OFFSET $p1
-- params: {'p0': 10, 'p1': 20}
