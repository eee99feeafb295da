#include <catch2/catch.hpp>

#include "daemon/progress_display.h"

using tideway::daemon::ProgressDisplay;
using tideway::replication::TableProgressView;

TEST_CASE("A table's progress bar shows its share, rows, rate and ETA") {
  TableProgressView v;
  v.table = "public.orders";
  v.estimated_rows = 2'300'000;
  v.rows_done = 1'150'000;
  v.chunks_done = 11;
  v.chunks_total = 23;
  v.rows_per_second = 48'000;
  v.eta_seconds = 83;
  CHECK(ProgressDisplay::render_line(v, 14) ==
        "public.orders   [############            ]  50%  1.1M/2.3M rows  48.0k rows/s  ETA 1m23s");

  // Finished: a full bar, whatever the estimate said (here it was low), and "done".
  v.rows_done = 2'400'000;
  v.chunks_done = 23;
  v.eta_seconds = 0;
  CHECK(ProgressDisplay::render_line(v, 14) ==
        "public.orders   [########################] 100%  2.4M/2.4M rows  48.0k rows/s  done");

  // A table whose size is unknown yet: chunks give the share, the ETA is unknown.
  TableProgressView u;
  u.table = "public.notes";
  u.rows_done = 512;
  u.chunks_done = 1;
  u.chunks_total = 4;
  u.rows_per_second = 900;
  CHECK(ProgressDisplay::render_line(u, 12) ==
        "public.notes  [######                  ]  25%  512/512 rows  900 rows/s  ETA ?");
  // Hours, for the long ones.
  u.eta_seconds = 2 * 3600 + 5 * 60 + 7;
  CHECK(ProgressDisplay::render_line(u, 12).find("ETA 2h05m") != std::string::npos);
}
