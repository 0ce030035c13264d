// A network run in-process (sim/run_network.h) with the report it would write, parsed, so tests
// assert on the same JSON a user reads; and the untimed-counter comparison of two runs.
#ifndef SASIM_TESTS_IN_PROCESS_RUN_H_
#define SASIM_TESTS_IN_PROCESS_RUN_H_

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "contract/counters.h"
#include "sim/run_network.h"

namespace sasim::testcases {

struct InProcessRun {
  NetworkRun run;
  nlohmann::json report;
};

inline InProcessRun RunInProcess(const RunRequest& request, DeviceKind kind) {
  const PreparedRun prepared = PrepareRun(request);
  auto device = MakeDevice(kind, prepared.hw);
  InProcessRun r;
  r.run = RunNetwork(prepared, *device);
  r.report = nlohmann::json::parse(ReportJson(r.run.result));
  return r;
}

// The same through RunNetworkJobs: with request.jobs > 1 the devices run in worker processes
// forked from this one, so call it before anything in this process has elaborated SystemC.
inline InProcessRun RunWithJobs(const RunRequest& request, DeviceKind kind) {
  const PreparedRun prepared = PrepareRun(request);
  InProcessRun r;
  r.run = RunNetworkJobs(prepared, kind);
  r.report = nlohmann::json::parse(ReportJson(r.run.result));
  return r;
}

// Every counter that does not depend on timing equal, layer by layer.
inline void ExpectSameUntimedCounters(const NetworkRun& a, const NetworkRun& b) {
  ASSERT_EQ(a.result.layers.size(), b.result.layers.size());
  for (size_t i = 0; i < a.result.layers.size(); ++i) {
    for (int k = 0; k < isa::kNumCounters; ++k) {
      const auto c = static_cast<isa::Counter>(k);
      if (DependsOnTiming(c)) continue;
      EXPECT_EQ(Get(a.result.layers[i].counters, c), Get(b.result.layers[i].counters, c))
          << a.result.layers[i].layer.name << " " << isa::CounterName(c);
    }
  }
}

}  // namespace sasim::testcases

#endif  // SASIM_TESTS_IN_PROCESS_RUN_H_
