SELECT "id" FROM "synapses"
WHERE NOT ("pre_pt_root_id" IS NULL)
-- params: {}
