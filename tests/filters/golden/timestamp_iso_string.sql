SELECT "id" FROM "synapses"
WHERE "created" >= $p0
-- params: {'p0': datetime.datetime(2024, 1, 3, 0, 0)}
