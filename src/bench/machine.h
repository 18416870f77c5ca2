// What the report says about the machine it ran on.
#pragma once

#include <string>

namespace cnn::bench {

// The first "model name" of /proc/cpuinfo, or "unknown CPU".
std::string cpu_model();
// The 1-minute load average of /proc/loadavg, or -1 when it cannot be read: on a shared
// machine it tells how many other processes competed for the cores.
double load_average();
// The local time as "2026-11-20 14:03:07 +0100".
std::string local_date_time();

}  // namespace cnn::bench
