SELECT "id" FROM "synapses"
WHERE "size" < $p0
-- params: {'p0': 2.5}
