// bench/compare/report.hpp - the parent's side of cmwq_compare's results: every measurement line
// collected by (workload, peer, metric), and the outputs rendered from their medians over the
// repetitions: DIR/table.md (markdown), DIR/*.dat and DIR/plots.gp (gnuplot; scripts/bench.sh runs
// it).
#pragma once

#include <string>

namespace cmwq_bench {

// The value of `key` in one JSON line of a child ("" if absent).
std::string field(const std::string& line, const char* key);

// Adds the value of one measurement line to its (workload, peer, metric).
void record_line(const std::string& line);

// Writes table.md, throughput.dat, latency.dat, blocking.dat, timers.dat, scaling.dat and plots.gp
// into `dir` from what record_line() collected.
void write_outputs(const std::string& dir);

// Loads an existing results.jsonl (--report): re-renders the table and plots into cfg.out_dir
// without measuring. Returns the exit status.
int report_main(const std::string& path);

}  // namespace cmwq_bench
