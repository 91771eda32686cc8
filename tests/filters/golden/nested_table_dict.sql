SELECT "id" FROM "synapses"
WHERE "post_pt_root_id" = $p0 AND "valid" = $p1
-- params: {'p0': 20, 'p1': True}
