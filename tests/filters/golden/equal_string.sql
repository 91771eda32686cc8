SELECT "id" FROM "synapses"
WHERE "cell_type" = $p0
-- params: {'p0': 'sst'}
