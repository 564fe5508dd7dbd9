-- The sources the registry knows (ids are stable: field_values and ingest_runs refer to them).
INSERT INTO sources (id, key, name) VALUES
    (1, 'siak', 'SIAK (Dukcapil civil registry)'),
    (2, 'regsosek_keluarga', 'Regsosek 2022, families'),
    (3, 'regsosek_anggota', 'Regsosek 2022, members'),
    (4, 'dtks', 'DTKS (Kemensos)'),
    (5, 'p3ke', 'P3KE (Kemenko PMK)'),
    (6, 'asn', 'Civil servants, military, police, state companies'),
    (7, 'pln', 'PLN electricity customers'),
    (8, 'bpjs_pbi', 'BPJS Kesehatan PBI'),
    (9, 'susenas', 'Susenas survey sample'),
    (10, 'update', 'DTSEN update cycle (proposals, field checks)')
ON CONFLICT (id) DO NOTHING;
