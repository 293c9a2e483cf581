-- Client lists page through one kind of record in id order, scoped either to a counsellor's
-- caseload or to a hub. Without these, every page sorted a whole hub's clients (measured: 85 ms
-- per page at 100,000 clients, under 1 ms with them).
CREATE INDEX records_counsellor_kind_id ON records(counsellor_id, kind, id);
CREATE INDEX records_hub_kind_id ON records(hub_id, kind, id);
-- Aggregates group by facility, month, kind and tag within a hub and period: a covering index
-- answers them without reading the records themselves (4.4 s -> see docs/benchmarks.md).
DROP INDEX records_hub_kind;
CREATE INDEX records_hub_kind_summary ON records(hub_id, kind, occurred_on, facility_id, tag);
