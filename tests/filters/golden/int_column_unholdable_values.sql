SELECT "id" FROM "synapses"
WHERE "pre_pt_root_id" > $p0
-- params: {'p0': 9223372036854775807}
