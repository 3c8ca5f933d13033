// bench/compare/report.cpp - cmwq_compare's results: the medians over the repetitions, the
// markdown table with ratios against the best peer and against the floors, the plot data and the
// gnuplot script, the scaling table, and the targets of docs/benchmarks.md with whether each is met.
//
// Problem: one table must let a reader compare cmwq with the best of the others and with what
// the hardware allows, from noisy repeated measurements of a shared machine. Approach: medians
// per (workload, peer, metric), ignoring NaN; each table section writes its rows and its .dat
// file from those medians and the reference values found once up front (the floors, the best
// peers); a missing value prints "n/a" instead of failing the report.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "compare/compare.hpp"
#include "compare/report.hpp"

namespace cmwq_bench {

std::string field(const std::string& line, const char* key) {
  const std::string k = std::string("\"") + key + "\":";
  auto p = line.find(k);
  if (p == std::string::npos) return {};
  p += k.size();
  if (line[p] == '"') {
    const auto e = line.find('"', p + 1);
    return line.substr(p + 1, e - p - 1);
  }
  const auto e = line.find_first_of(",}", p);
  return line.substr(p, e - p);
}


namespace {

using key = std::tuple<std::string, std::string, std::string>;  // workload, peer, metric
std::map<key, std::vector<double>> g_values;
std::map<key, std::string> g_units;  // the last unit seen (S: names the lock of lockK_acq_per_item)

std::optional<double> med(const std::string& w, const std::string& p, const std::string& m) {
  auto it = g_values.find({w, p, m});
  if (it == g_values.end() || it->second.empty()) return std::nullopt;
  std::vector<double> v;
  for (double x : it->second)
    if (!std::isnan(x)) v.push_back(x);
  if (v.empty()) return std::nullopt;
  return median(v);
}

using best_value = std::optional<std::pair<double, std::string>>;  // value and the peer that has it

// The best value of a metric among the peers that are cmwq's own (cmwq) or not; higher_better
// picks max, else min.
best_value best_of(const std::string& w, const std::vector<std::string>& peers, const std::string& m, bool higher_better,
                   bool cmwq) {
  best_value best;
  for (auto& p : peers) {
    if (is_cmwq(p) != cmwq) continue;
    auto v = med(w, p, m);
    if (!v) continue;
    if (!best || (higher_better ? *v > best->first : *v < best->first)) best = {{*v, p}};
  }
  return best;
}

// Best non-cmwq value of a metric; higher_better picks max, else min.
best_value best_peer(const std::string& w, const std::vector<std::string>& peers, const std::string& m,
                     bool higher_better) {
  return best_of(w, peers, m, higher_better, false);
}

best_value best_cmwq(const std::string& w, const std::vector<std::string>& peers, const std::string& m,
                     bool higher_better) {
  return best_of(w, peers, m, higher_better, true);
}

std::string fmt(const char* f, double v) {
  char b[64];
  std::snprintf(b, sizeof b, f, v);
  return b;
}
std::string fmt_opt(const char* f, std::optional<double> v) { return v ? fmt(f, *v) : "n/a"; }
std::string ratio(std::optional<double> a, std::optional<double> b) {
  if (!a || !b || *b == 0) return "n/a";
  return fmt("%.2fx", *a / *b);
}
std::string si(double v) {  // 1234567 -> "1.23 M"
  if (v >= 1e9) return fmt("%.2f G", v / 1e9);
  if (v >= 1e6) return fmt("%.2f M", v / 1e6);
  if (v >= 1e3) return fmt("%.1f k", v / 1e3);
  return fmt("%.0f", v);
}
std::string us(std::optional<double> ns) { return ns ? fmt(*ns >= 100000 ? "%.0f" : "%.1f", *ns / 1000.0) : "n/a"; }

// Opens DIR/name for writing and writes its header line.
FILE* open_dat(const std::string& dir, const char* name, const char* header) {
  FILE* dat = std::fopen((dir + "/" + name).c_str(), "w");
  std::fprintf(dat, "%s\n", header);
  return dat;
}

// The values every section compares with: the floors and the best peers.
struct references {
  std::optional<double> call, line, fw;  // plain call ns, cache-line round trip ns, futex wake p50 ns
  best_value b1, b2;                     // best peer's tasks/s in W1, W2
  best_value ba, bc;                     // best peer's arm and cancel ns in W5
};

references find_references() {
  references refs;
  refs.call = med("floor", "call", "ns");
  refs.line = med("floor", "cacheline", "rtt_ns");
  refs.fw = med("floor", "futex_wake", "p50_ns");
  refs.b1 = best_peer("W1", k_pool_peers, "tasks_per_s", true);
  refs.b2 = best_peer("W2", k_pool_peers, "tasks_per_s", true);
  refs.ba = best_peer("W5", k_w5_peers, "arm_ns", false);
  refs.bc = best_peer("W5", k_w5_peers, "cancel_ns", false);
  return refs;
}

void write_floors(FILE* md, const references& refs) {
  const auto& call = refs.call;
  const auto& line = refs.line;
  const auto fpp = med("floor", "futex_pingpong", "one_way_ns");
  const auto& fw = refs.fw;
  std::fprintf(md, "### Floors (measured in the same run)\n\n");
  std::fprintf(md, "| floor | median | what |\n|---|---|---|\n");
  std::fprintf(md, "| plain call | %s ns | a non-inlined function call |\n", fmt_opt("%.2f", call).c_str());
  std::fprintf(md, "| cache-line round trip | %s ns | two threads pinned to CPUs 0 and 1 bouncing one atomic |\n",
               fmt_opt("%.0f", line).c_str());
  std::fprintf(md, "| futex ping-pong, one way | %s us | two unpinned threads waking each other (FUTEX_WAIT/WAKE) |\n",
               us(fpp).c_str());
  std::fprintf(md, "| futex wake of an idle thread, p50 / p99 | %s / %s us | the W3 protocol on one bare futex waiter, unpinned |\n",
               us(fw).c_str(), us(med("floor", "futex_wake", "p99_ns")).c_str());
  std::fprintf(md, "| the same, waiter on the waker's CPU | %s / %s us | both pinned to CPU 0 |\n",
               us(med("floor", "futex_wake_same_cpu", "p50_ns")).c_str(), us(med("floor", "futex_wake_same_cpu", "p99_ns")).c_str());
  std::fprintf(md, "| the same, waiter on the other CPU | %s / %s us | waker on CPU 0, waiter on CPU 1 |\n\n",
               us(med("floor", "futex_wake_cross_cpu", "p50_ns")).c_str(), us(med("floor", "futex_wake_cross_cpu", "p99_ns")).c_str());
}

// W1, W2: the table rows and throughput.dat.
void write_throughput(FILE* md, const std::string& dir, const references& refs) {
  std::fprintf(md, "### W1 fan-out and W2 multi-producer (%s empty tasks)\n\n", si(static_cast<double>(cfg.w1_tasks)).c_str());
  std::fprintf(md, "Ratios: tasks/s over the best peer's (higher is better); ns per task over the cache-line round trip.\n\n");
  std::fprintf(md, "| peer | W1 tasks/s | W1 vs best peer | W1 ns/task | vs cache line | W2 tasks/s | W2 vs best peer | W2 ns/task | vs cache line |\n");
  std::fprintf(md, "|---|---|---|---|---|---|---|---|---|\n");
  FILE* dat = open_dat(dir, "throughput.dat", "# peer W1_Mtasks_per_s W2_Mtasks_per_s");
  for (auto& p : k_pool_peers) {
    auto t1 = med("W1", p, "tasks_per_s"), t2 = med("W2", p, "tasks_per_s");
    auto n1 = med("W1", p, "ns_per_task"), n2 = med("W2", p, "ns_per_task");
    std::fprintf(md, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", p.c_str(), t1 ? si(*t1).c_str() : "n/a",
                 ratio(t1, refs.b1 ? std::optional<double>(refs.b1->first) : std::nullopt).c_str(), fmt_opt("%.0f", n1).c_str(),
                 ratio(n1, refs.line).c_str(), t2 ? si(*t2).c_str() : "n/a",
                 ratio(t2, refs.b2 ? std::optional<double>(refs.b2->first) : std::nullopt).c_str(), fmt_opt("%.0f", n2).c_str(),
                 ratio(n2, refs.line).c_str());
    std::fprintf(dat, "\"%s\" %g %g\n", p.c_str(), t1 ? *t1 / 1e6 : 0.0, t2 ? *t2 / 1e6 : 0.0);
  }
  std::fclose(dat);
  std::fprintf(md, "\n");
}

// W3: the table rows and latency.dat.
void write_latency(FILE* md, const std::string& dir, const references& refs) {
  const auto b3 = best_peer("W3", k_pool_peers, "p50_ns", false);
  std::vector<std::string> w3_peers = k_pool_peers;
  w3_peers.push_back("thread");
  std::fprintf(md, "### W3 wake latency (idle pool, %d samples, %d us apart)\n\n", cfg.w3_samples, cfg.w3_gap_us);
  std::fprintf(md, "From just before submit to the first instruction of the task. CPU/sample is the whole process's\n"
                   "CPU time per sample: it shows pools that buy latency by spinning.\n\n");
  std::fprintf(md, "| peer | p50 us | p99 us | max us | CPU/sample us | p50 vs best peer | p50 vs futex wake floor |\n");
  std::fprintf(md, "|---|---|---|---|---|---|---|\n");
  FILE* dat = open_dat(dir, "latency.dat", "# peer p50_us p99_us");
  for (auto& p : w3_peers) {
    auto p50 = med("W3", p, "p50_ns");
    std::fprintf(md, "| %s | %s | %s | %s | %s | %s | %s |\n", p.c_str(), us(p50).c_str(), us(med("W3", p, "p99_ns")).c_str(),
                 us(med("W3", p, "max_ns")).c_str(), fmt_opt("%.1f", med("W3", p, "cpu_us_per_sample")).c_str(),
                 ratio(p50, b3 ? std::optional<double>(b3->first) : std::nullopt).c_str(), ratio(p50, refs.fw).c_str());
    std::fprintf(dat, "\"%s\" %g %g\n", p.c_str(), p50 ? *p50 / 1000 : 0.0, med("W3", p, "p99_ns").value_or(0) / 1000);
  }
  std::fprintf(dat, "\"futex floor\" %g %g\n", refs.fw.value_or(0) / 1000, med("floor", "futex_wake", "p99_ns").value_or(0) / 1000);
  std::fclose(dat);
  std::fprintf(md, "\n");
}

// W4: the table rows and blocking.dat.
void write_blocking(FILE* md, const std::string& dir) {
  std::fprintf(md, "### W4 blocking mix (%d tasks of %d us CPU, every %dth also sleeps %d ms)\n\n", cfg.w4_tasks, cfg.w4_cpu_us,
               cfg.w4_sleep_every, cfg.w4_sleep_ms);
  std::fprintf(md, "Ideal bound = max(total CPU / %d cores, one task's CPU + sleep) = %s ms. Peak threads = the most\n"
                   "threads the peer added to the process (sampled every ms; for cmwq: its workers plus its timer\n"
                   "and sampler threads); the bound is cores + most tasks asleep at once + 2. CPU obtained = process\n"
                   "CPU time / (makespan x cores): a pool that idles CPUs, or a machine busy with other work, shows\n"
                   "well below 1.\n\n",
               g_ncpu, fmt_opt("%.1f", med("W4", k_w4_peers[0], "ideal_ms")).c_str());
  std::fprintf(md, "| peer | makespan ms | vs ideal | CPU obtained | peak threads | (cmwq workers) | most asleep at once | thread bound | within bound |\n");
  std::fprintf(md, "|---|---|---|---|---|---|---|---|---|\n");
  FILE* dat = open_dat(dir, "blocking.dat", "# peer makespan_over_ideal peak_threads");
  for (auto& p : k_w4_peers) {
    auto ms = med("W4", p, "makespan_ms"), r = med("W4", p, "makespan_over_ideal");
    auto pk = med("W4", p, "peak_threads"), sl = med("W4", p, "max_sleeping"), bd = med("W4", p, "thread_bound");
    std::fprintf(md, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", p.c_str(), fmt_opt("%.0f", ms).c_str(),
                 fmt_opt("%.2fx", r).c_str(), fmt_opt("%.2f", med("W4", p, "cpu_utilisation")).c_str(), fmt_opt("%.0f", pk).c_str(),
                 is_cmwq(p) ? fmt_opt("%.0f", med("W4", p, "peak_cmwq_workers")).c_str() : "", fmt_opt("%.0f", sl).c_str(),
                 fmt_opt("%.0f", bd).c_str(),
                 (pk && bd) ? (*pk <= *bd ? "yes" : "no") : "n/a");
    std::fprintf(dat, "\"%s\" %g %g\n", p.c_str(), r.value_or(0), pk.value_or(0));
  }
  std::fclose(dat);
  std::fprintf(md, "\n");
}

// W5: the table rows and timers.dat.
void write_timers(FILE* md, const std::string& dir, const references& refs) {
  std::vector<std::string> w5_rows = k_w5_peers;
  w5_rows.push_back("tbb");
  std::fprintf(md, "### W5 timers (%s delayed tasks, delays uniform in [1 ms, 1 s], 90%% cancelled)\n\n",
               si(cfg.w5_timers).c_str());
  std::fprintf(md, "Arm and cancel: timers armed in chunks of 1,000, 900 of each chunk cancelled right after\n"
                   "(\"cancels that hit\": the share that found the timer still pending); \"in calls\" = the cost over\n"
                   "the plain-call floor. Bulk arm: all timers armed back to back. Lateness = when the task starts\n"
                   "minus (arm time + delay); negative = early. Bytes/timer = RSS growth from constructing and arming\n"
                   "all timers (all pending at once), divided by their number; sizeof = the object the caller keeps.\n\n");
  std::fprintf(md, "| peer | arm ns | vs best peer | in calls | cancel ns | vs best peer | in calls | cancels that hit | bulk arm ns | late p50 ms | late p99 ms | bytes/timer | sizeof |\n");
  std::fprintf(md, "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  FILE* dat = open_dat(dir, "timers.dat", "# peer arm_ns cancel_ns bytes_per_timer");
  for (auto& p : w5_rows) {
    if (p == "tbb") {
      std::fprintf(md, "| tbb | n/a (oneTBB has no timers) | | | | | | | | | | | |\n");
      continue;
    }
    auto a = med("W5", p, "arm_ns"), c = med("W5", p, "cancel_ns");
    auto l50 = med("W5", p, "late_p50_us"), l99 = med("W5", p, "late_p99_us");
    std::fprintf(md, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", p.c_str(), fmt_opt("%.0f", a).c_str(),
                 ratio(a, refs.ba ? std::optional<double>(refs.ba->first) : std::nullopt).c_str(), ratio(a, refs.call).c_str(),
                 fmt_opt("%.0f", c).c_str(), ratio(c, refs.bc ? std::optional<double>(refs.bc->first) : std::nullopt).c_str(),
                 ratio(c, refs.call).c_str(),
                 fmt_opt("%.0f%%", med("W5", p, "cancel_ok_pct")).c_str(), fmt_opt("%.0f", med("W5", p, "bulk_arm_ns")).c_str(),
                 l50 ? fmt("%.2f", *l50 / 1000).c_str() : "n/a", l99 ? fmt("%.2f", *l99 / 1000).c_str() : "n/a",
                 fmt_opt("%.0f", med("W5", p, "bytes_per_timer")).c_str(), fmt_opt("%.0f", med("W5", p, "sizeof")).c_str());
    std::fprintf(dat, "\"%s\" %g %g %g\n", p.c_str(), a.value_or(0), c.value_or(0), med("W5", p, "bytes_per_timer").value_or(0));
  }
  std::fclose(dat);
  std::fprintf(md, "\n");
}

// S: one table row per (flavour, producers) and scaling.dat (one line per producer count).
void write_scaling(FILE* md, const std::string& dir) {
  if (cfg.producers.empty()) return;
  std::fprintf(md, "### S scaling: 1 to %d producers on %d CPUs (cmwq only)\n\n", cfg.producers.back(), g_ncpu);
  std::fprintf(md, "Each producer submits its share of %s empty items (cmwq.percpu, cmwq.unbound: W2 with more producers)\n"
                   "or arms and cancels its share of %s delayed works (cmwq.timers, one item = arm + cancel). ns/item =\n"
                   "wall time / items; speed-up = throughput over 1 producer. Lock columns come from a second batch with\n"
                   "every pthread mutex counted (bench/compare/lockstat.hpp): wait = time from lock call to acquisition,\n"
                   "summed over all locks per item; the lock waited for most is named by the function that locked it\n"
                   "first, with its acquisitions per item, the share that found it taken and its mean hold time.\n\n",
               si(static_cast<double>(cfg.w1_tasks)).c_str(), si(static_cast<double>(cfg.w1_tasks / 5)).c_str());
  std::fprintf(md, "| flavour | producers | ns/item | CPU ns/item | speed-up | lock wait ns/item | most waited-for lock | acq/item | contended | hold ns |\n"
                   "|---|---|---|---|---|---|---|---|---|---|\n");
  FILE* dat = open_dat(dir, "scaling.dat", "# producers, then ns/item and lock wait ns/item of each flavour in k_scaling_flavours order");
  for (auto& f : k_scaling_flavours) {
    const auto one = med("S", f + "/" + std::to_string(cfg.producers.front()), "ns_per_item");
    for (int p : cfg.producers) {
      const std::string peer = f + "/" + std::to_string(p);
      const auto ns = med("S", peer, "ns_per_item");
      const auto lock_name = g_units.find({"S", peer, "lock1_acq_per_item"});
      std::fprintf(md, "| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s |\n", f.c_str(), p, fmt_opt("%.0f", ns).c_str(),
                   fmt_opt("%.0f", med("S", peer, "cpu_ns_per_item")).c_str(), ratio(one, ns).c_str(),
                   fmt_opt("%.1f", med("S", peer, "lock_wait_ns_per_item")).c_str(),
                   lock_name == g_units.end() ? "n/a" : ("`" + lock_name->second + "`").c_str(),
                   fmt_opt("%.2f", med("S", peer, "lock1_acq_per_item")).c_str(),
                   fmt_opt("%.1f%%", med("S", peer, "lock1_contended_pct")).c_str(), fmt_opt("%.0f", med("S", peer, "lock1_hold_ns")).c_str());
    }
  }
  for (int p : cfg.producers) {
    std::fprintf(dat, "%d", p);
    for (auto& f : k_scaling_flavours) {
      const std::string peer = f + "/" + std::to_string(p);
      std::fprintf(dat, " %g %g", med("S", peer, "ns_per_item").value_or(NAN), med("S", peer, "lock_wait_ns_per_item").value_or(NAN));
    }
    std::fprintf(dat, "\n");
  }
  std::fclose(dat);
  std::fprintf(md, "\n");
}

// The targets of docs/benchmarks.md, each with its ratio and whether it is met.
void write_targets(FILE* md, const references& refs) {
  std::fprintf(md, "### Targets\n\n| target | cmwq | reference | ratio | met |\n|---|---|---|---|---|\n");
  auto target_row = [&](const char* what, std::optional<std::pair<double, std::string>> cm,
                        std::optional<std::pair<double, std::string>> ref, const char* unit_fmt, bool met_if_ratio_ge,
                        double threshold) {
    if (!cm || !ref) {
      std::fprintf(md, "| %s | n/a | n/a | n/a | n/a |\n", what);
      return;
    }
    const double r = cm->first / ref->first;
    const bool met = met_if_ratio_ge ? r >= threshold : r <= threshold;
    std::fprintf(md, "| %s | %s (%s) | %s (%s) | %.2fx | %s |\n", what, fmt(unit_fmt, cm->first).c_str(), cm->second.c_str(),
                 fmt(unit_fmt, ref->first).c_str(), ref->second.c_str(), r, met ? "yes" : "**no**");
  };
  auto scale = [](std::optional<std::pair<double, std::string>> v, double k) {
    if (v) v->first *= k;
    return v;
  };
  target_row("W1 >= 1.5x best peer (Mtasks/s)", scale(best_cmwq("W1", k_pool_peers, "tasks_per_s", true), 1e-6), scale(refs.b1, 1e-6),
             "%.2f", true, 1.5);
  target_row("W2 >= 1.5x best peer (Mtasks/s)", scale(best_cmwq("W2", k_pool_peers, "tasks_per_s", true), 1e-6), scale(refs.b2, 1e-6),
             "%.2f", true, 1.5);
  target_row("W3 p50 <= 1.5x futex wake floor (us)", scale(best_cmwq("W3", k_pool_peers, "p50_ns", false), 1e-3),
             refs.fw ? std::optional<std::pair<double, std::string>>({*refs.fw / 1000, "floor"}) : std::nullopt, "%.1f", false, 1.5);
  for (auto& p : k_w4_peers) {
    if (!is_cmwq(p)) continue;
    auto r = med("W4", p, "makespan_over_ideal");
    auto pk = med("W4", p, "peak_threads"), bd = med("W4", p, "thread_bound");
    if (!r || !pk || !bd) continue;
    std::fprintf(md, "| W4 makespan <= 1.2x ideal, threads <= bound | %s: %.2fx, %.0f threads | bound %.0f threads | %.2fx | %s |\n",
                 p.c_str(), *r, *pk, *bd, *r, (*r <= 1.2 && *pk <= *bd) ? "yes" : "**no**");
  }
  for (const char* p : {"cmwq.c", "cmwq.cxx"}) {
    auto a = med("W5", p, "arm_ns"), c = med("W5", p, "cancel_ns"), b = med("W5", p, "bytes_per_timer");
    auto pa = std::optional<std::pair<double, std::string>>(a ? std::optional<std::pair<double, std::string>>({*a, p}) : std::nullopt);
    auto pc = std::optional<std::pair<double, std::string>>(c ? std::optional<std::pair<double, std::string>>({*c, p}) : std::nullopt);
    target_row((std::string("W5 arm <= best peer (ns), ") + p).c_str(), pa, refs.ba, "%.0f", false, 1.0);
    target_row((std::string("W5 cancel <= best peer (ns), ") + p).c_str(), pc, refs.bc, "%.0f", false, 1.0);
    if (b)
      std::fprintf(md, "| W5 <= 100 bytes per pending delayed work, %s | %.0f B (RSS), %s B (sizeof) | 100 B | %.2fx | %s |\n", p, *b,
                   fmt_opt("%.0f", med("W5", p, "sizeof")).c_str(), *b / 100, *b <= 100 ? "yes" : "**no**");
  }
  std::fprintf(md, "\n");
}

// plots.gp: bench.sh runs it; the PNGs go to $IMG.
void write_gnuplot(const std::string& dir) {
  FILE* gp = std::fopen((dir + "/plots.gp").c_str(), "w");
  std::fprintf(gp, "img = system('echo $IMG')\n"
                   "set terminal pngcairo size 900,480 font 'sans,10' noenhanced\n"
                   "set style data histograms\nset style histogram clustered gap 1\nset style fill solid 0.85 border -1\n"
                   "set boxwidth 0.9\nset xtics rotate by -30 nomirror\nset grid ytics\nset key top left opaque box\n"
                   "set yrange [0:*]\n"
                   "set output img.'/bench-throughput.png'\n"
                   "set title 'W1 fan-out and W2 multi-producer: million empty tasks per second (higher is better)'\n"
                   "set ylabel 'Mtasks/s'\n"
                   "plot '%1$s/throughput.dat' using 2:xtic(1) title 'W1 one producer', '' using 3 title 'W2 one producer per core'\n"
                   "set output img.'/bench-latency.png'\n"
                   "set title 'W3 wake latency of an idle pool (lower is better; log scale)'\n"
                   "set ylabel 'microseconds'\nset yrange [*:*]\nset logscale y\n"
                   "plot '%1$s/latency.dat' using 2:xtic(1) title 'p50', '' using 3 title 'p99'\n"
                   "unset logscale y\nset yrange [0:*]\n"
                   "set output img.'/bench-blocking.png'\n"
                   "set multiplot layout 1,2 title 'W4 blocking mix'\n"
                   "set title 'makespan / ideal bound (lower is better; dashed: 1.2x)'\nset ylabel 'x ideal'\n"
                   "set arrow 1 from graph 0, first 1.2 to graph 1, first 1.2 nohead dt 2 lw 1.5\nunset key\n"
                   "plot '%1$s/blocking.dat' using 2:xtic(1) notitle lc rgb '#4477aa'\n"
                   "unset arrow 1\n"
                   "set title 'peak threads added (log scale)'\nset ylabel 'threads'\nset yrange [1:*]\nset logscale y\n"
                   "plot '%1$s/blocking.dat' using 3:xtic(1) notitle lc rgb '#cc6677'\n"
                   "unset logscale y\nset yrange [0:*]\nunset multiplot\n"
                   "set output img.'/bench-timers.png'\nset key top left opaque box\n"
                   "set multiplot layout 1,2 title 'W5 timers: %2$d armed, 90%% cancelled'\n"
                   "set title 'ns per arm / cancel (lower is better; log scale)'\nset ylabel 'ns'\n"
                   "set yrange [10:*]\nset logscale y\n"
                   "plot '%1$s/timers.dat' using 2:xtic(1) title 'arm', '' using 3 title 'cancel'\n"
                   "unset logscale y\nset yrange [0:*]\n"
                   "set title 'bytes per pending timer (RSS; dashed: 100 B)'\nset ylabel 'bytes'\n"
                   "set arrow 2 from graph 0, first 100 to graph 1, first 100 nohead dt 2 lw 1.5\nunset key\n"
                   "plot '%1$s/timers.dat' using 4:xtic(1) notitle lc rgb '#228833'\n"
                   "unset multiplot\n"
                   "unset arrow 2\nset key below\nset logscale x 2\nset xtics norotate\n"
                   "set output img.'/bench-scaling.png'\n"
                   "set multiplot layout 1,2 title 'S scaling: producers on %3$d CPUs (cmwq)'\n"
                   "set title 'ns per item (lower is better)'\nset xlabel 'producers'\nset ylabel 'ns'\nset yrange [0:*]\n"
                   "plot for [i=0:2] '%1$s/scaling.dat' using 1:(column(2+2*i)) with linespoints lw 2 title word('percpu unbound timers', i+1)\n"
                   "set title 'lock wait ns per item'\nset ylabel 'ns'\n"
                   "plot for [i=0:2] '%1$s/scaling.dat' using 1:(column(3+2*i)) with linespoints lw 2 title word('percpu unbound timers', i+1)\n"
                   "unset multiplot\n",
               dir.c_str(), cfg.w5_timers, g_ncpu);
  std::fclose(gp);
}

}  // namespace

void record_line(const std::string& line) {
  const key k{field(line, "workload"), field(line, "peer"), field(line, "metric")};
  g_values[k].push_back(std::strtod(field(line, "value").c_str(), nullptr));
  g_units[k] = field(line, "unit");
}

void write_outputs(const std::string& dir) {
  FILE* md = std::fopen((dir + "/table.md").c_str(), "w");
  if (!md) die("cannot write %s/table.md", dir.c_str());
  const references refs = find_references();
  write_floors(md, refs);
  write_throughput(md, dir, refs);
  write_latency(md, dir, refs);
  write_blocking(md, dir);
  write_timers(md, dir, refs);
  write_scaling(md, dir);
  write_targets(md, refs);
  std::fclose(md);
  write_gnuplot(dir);
}

// Loads an existing results.jsonl (--report): re-renders the table and plots without measuring.
int report_main(const std::string& path) {
  FILE* in = std::fopen(path.c_str(), "r");
  if (!in) die("cannot read %s", path.c_str());
  char buf[1024];
  while (std::fgets(buf, sizeof buf, in)) {
    const std::string l(buf);
    if (l.find("\"metric\"") == std::string::npos) continue;
    record_line(l);
  }
  std::fclose(in);
  write_outputs(cfg.out_dir);
  return 0;
}

}  // namespace cmwq_bench
