SELECT "id" FROM "synapses"
WHERE "pre_pt_root_id" = $p0 OR "pre_pt_root_id" IS NULL
-- params: {'p0': 10}
