SELECT "id" FROM "synapses"
WHERE "pre_pt_root_id" IN (SELECT "key" FROM "__engine_keys_0")
-- params: {}
