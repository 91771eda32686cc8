SELECT "id" FROM "synapses"
WHERE NOT ("pre_pt_root_id" IN ($p0))
-- params: {'p0': 0}
