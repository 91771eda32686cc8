SELECT CAST("k0"."query_index" AS BIGINT) AS "query_index", "t"."id" FROM "synapses" AS "t"
JOIN (SELECT DISTINCT "query_index", "key" FROM (SELECT unnest($p0) AS "query_index", unnest($p1) AS "key")) AS "k0" ON "t"."post_pt_root_id" = "k0"."key"
JOIN (SELECT DISTINCT "query_index", "key" FROM (SELECT unnest($p2) AS "query_index", unnest($p3) AS "key")) AS "k1" ON "k1"."query_index" = "k0"."query_index" AND "t"."pre_pt_root_id" = "k1"."key"
WHERE "t"."post_pt_root_id" IN ($p4, $p5) AND "t"."pre_pt_root_id" IN ($p6, $p7)
-- params: {'p0': [0, 1], 'p1': [0, 1], 'p2': [0, 1], 'p3': [0, 1], 'p4': 0, 'p5': 1, 'p6': 0, 'p7': 1}
