SELECT * EXCLUDE ("__order_0") FROM (SELECT CAST(0 AS BIGINT) AS "query_index", "t"."id", "t"."size" AS "__order_0" FROM "synapses" AS "t"
WHERE "t"."pre_pt_root_id" = $p0
UNION ALL SELECT CAST(1 AS BIGINT) AS "query_index", "t"."id", "t"."size" AS "__order_0" FROM "synapses" AS "t"
WHERE ("t"."size" >= $p1 AND NOT isnan("t"."size"))) AS "q"
QUALIFY row_number() OVER (PARTITION BY "query_index"
ORDER BY "__order_0" DESC) BETWEEN $p2 AND $p3
ORDER BY "query_index", "__order_0" DESC
-- params: {'p0': 1, 'p1': 3, 'p2': 1, 'p3': 5}
