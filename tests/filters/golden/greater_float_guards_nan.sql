SELECT "id" FROM "synapses"
WHERE ("size" > $p0 AND NOT isnan("size"))
-- params: {'p0': 2.5}
