"""Runs Splink 5 (DuckDB backend) on a linking file written by `dtsen link prepare`, with a
configuration equivalent to configs/link/dtsen-persons.toml, and writes clusters.csv
(id,cluster) for `dtsen link eval`. Used by scripts/bench_link.py; not part of the product.

usage: python splink_run.py INPUT.csv OUT_DIR [THRESHOLD]
"""
import json
import os
import sys
import time

import duckdb
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on


def main():
    src, out = sys.argv[1], sys.argv[2]
    threshold = float(sys.argv[3]) if len(sys.argv) > 3 else 0.5
    os.makedirs(out, exist_ok=True)
    t0 = time.time()
    con = duckdb.connect()
    con.execute(
        f"""
        create table persons as
        select source || ':' || line as unique_id,
               nullif(nik, '') as nik,
               nullif(name_std, '') as name_std,
               nullif(split_part(name_std, ' ', 1), '') as name_first,
               nullif(list_extract(string_split(name_std, ' '), -1), '') as name_last,
               nullif(substr(birth_date, 1, 4), '') as birth_year,
               nullif(array_to_string(list_sort(string_split(name_std, ' ')), ' '), '') as name_sorted,
               nullif(birth_date, '') as birth_date,
               nullif(sex, '') as sex,
               nullif(region, '') as region,
               nullif(kk, '') as kk
        from read_csv('{src}', all_varchar = true, header = true)
        """
    )
    db_api = DuckDBAPI(connection=con)
    df = db_api.register("persons")
    region = cl.CustomComparison(
        output_column_name="region",
        comparison_levels=[
            cll.NullLevel("region"),
            cll.ExactMatchLevel("region"),
            cll.CustomLevel("substr(region_l, 1, 6) = substr(region_r, 1, 6)", "same district"),
            cll.CustomLevel("substr(region_l, 1, 4) = substr(region_r, 1, 4)", "same regency"),
            cll.CustomLevel("substr(region_l, 1, 2) = substr(region_r, 1, 2)", "same province"),
            cll.ElseLevel(),
        ],
    )
    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=[
            cl.DamerauLevenshteinAtThresholds("nik", [1]),
            cl.NameComparison("name_std").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison(
                "birth_date",
                input_is_string=True,
                datetime_metrics=["year", "year"],
                datetime_thresholds=[1, 10],
            ),
            cl.ExactMatch("sex"),
            region,
            cl.ExactMatch("kk"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("nik"),
            block_on("name_first", "name_last", "birth_date"),
            block_on("region", "birth_date", "sex"),
            block_on("region", "name_sorted", "birth_year"),
            block_on("kk", "name_first"),
        ],
        retain_intermediate_calculation_columns=False,
    )
    linker = Linker(df, settings)
    t_load = time.time()
    linker.training.estimate_probability_two_random_records_match(
        [block_on("nik", "name_std", "birth_date")], recall=0.8
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("nik"))
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("name_first", "name_last", "birth_date")
    )
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("region", "birth_date", "sex")
    )
    t_train = time.time()
    pred = linker.inference.predict(threshold_match_probability=threshold)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(pred, threshold)
    t_pred = time.time()
    con.execute(
        f"copy (select unique_id as id, cluster_id as cluster from {clusters.physical_name}) "
        f"to '{out}/clusters.csv' (header, delimiter ',')"
    )
    t_end = time.time()
    json.dump(
        {
            "load_s": t_load - t0,
            "training_s": t_train - t_load,
            "predict_cluster_s": t_pred - t_train,
            "write_s": t_end - t_pred,
            "total_s": t_end - t0,
        },
        open(f"{out}/splink-timings.json", "w"),
        indent=2,
    )


if __name__ == "__main__":
    main()
