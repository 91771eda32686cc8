SELECT CAST("k0"."query_index" AS BIGINT) AS "query_index", "t"."id" FROM "synapses" AS "t"
JOIN (SELECT DISTINCT "query_index", "key" FROM (SELECT unnest($p0) AS "query_index", unnest($p1) AS "key")) AS "k0" ON "t"."pre_pt_root_id" = "k0"."key"
WHERE "t"."pre_pt_root_id" IN ($p2, $p3, $p4, $p5)
-- params: {'p0': [0, 0, 1, 1, 2, 2], 'p1': [0, 1, 1, 2, 2, 3], 'p2': 0, 'p3': 1, 'p4': 2, 'p5': 3}
