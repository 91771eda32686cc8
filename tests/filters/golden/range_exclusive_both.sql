SELECT "id" FROM "synapses"
WHERE ("pre_pt_root_id" > $p0 AND "pre_pt_root_id" < $p1)
-- params: {'p0': 1, 'p1': 5}
