SELECT "id" FROM "synapses"
WHERE "cell_type" IS NULL
-- params: {}
