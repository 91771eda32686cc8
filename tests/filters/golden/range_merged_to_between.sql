SELECT "id" FROM "synapses"
WHERE "size" BETWEEN $p0 AND $p1
-- params: {'p0': 1, 'p1': 5}
