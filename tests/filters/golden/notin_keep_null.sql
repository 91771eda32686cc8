SELECT "id" FROM "synapses"
WHERE ("pre_pt_root_id" IS NULL OR NOT ("pre_pt_root_id" IN ($p0)))
-- params: {'p0': 0}
