SELECT "id" FROM "synapses"
WHERE "pre_pt_root_id" IN ($p0, $p1, $p2)
-- params: {'p0': 10, 'p1': 20, 'p2': 30}
