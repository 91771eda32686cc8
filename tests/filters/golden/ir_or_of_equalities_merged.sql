SELECT "id" FROM "synapses"
WHERE "cell_type" IN ($p0, $p1, $p2)
-- params: {'p0': 'a', 'p1': 'b', 'p2': 'c'}
