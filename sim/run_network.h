// A network run as a library: everything sim_run does between parsing its options and writing
// its files. PrepareRun checks every input and builds the program (nothing is simulated or
// written); RunNetwork runs it on a device (sim/device.h) and checks every layer's output
// against the golden model. Tests call these in-process; sim_run is their command line.
#ifndef SASIM_SIM_RUN_NETWORK_H_
#define SASIM_SIM_RUN_NETWORK_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "compiler/net_compiler.h"
#include "contract/hw_config.h"
#include "host/energy/energy.h"
#include "host/net/input.h"
#include "host/net/prepare.h"
#include "host/report/report.h"
#include "sim/device.h"
#include "sim/trace.h"

namespace sasim {

// The --input value that runs the net's reference input (the net file's `reference` key).
inline constexpr const char* kReferenceInput = "reference";

struct RunRequest {
  std::string net_path;
  std::string hw_path;                // empty: configs/hw/default.yaml of the source tree
  std::string energy = "horowitz45";  // a table name in configs/energy/, or a file
  std::optional<uint32_t> seed;       // synthetic weights and input (default: the net's)
  std::string input_path;             // empty: a synthetic image; "reference": the net's
                                      // reference input, checked against PyTorch's outputs
  int index = 0;                      // record of a CIFAR-10 batch
  std::string dataset;                // many images through one program
  std::string labels;
  int limit = 0;
  // Images per run (compiler::CompileOptions::images): without a dataset, the input and
  // batch - 1 more (see PrepareRun); a dataset runs in batches of this many.
  int batch = 1;
  std::string inject_fault;  // layer whose first weight is corrupted in DRAM
  TraceOptions trace;
  bool progress = false;  // progress lines on stderr
  // Worker processes for RunNetworkJobs: a network's layers, or a dataset's images, are split
  // over this many processes, each with its own device. 1: everything in this process.
  int jobs = 1;
  // Tests: the first layers of the groups after the first (ascending), instead of groups
  // balanced by estimated cycles; used when jobs > 1.
  std::vector<size_t> split_layers;
  // Tests: false makes every group after the first aim at a start state no run has (nothing
  // fetched), so each is found wrong and run again from the state the previous group ended in.
  bool guess_start_state = true;
};

// Everything checked and built before a device runs.
struct PreparedRun {
  RunRequest request;
  HwConfig hw;
  std::string hw_path;
  EnergyTable energy_table;
  compiler::NetSpec spec;
  PreparedNet prepared;  // layers, weights, golden outputs of image 0
  compiler::CompiledNet compiled;
  std::vector<std::vector<uint8_t>> more_images;  // images 1.. (a dataset's, or the batch's)
  std::vector<int> labels;                        // dataset labels (empty when unknown)
  std::string input_desc;
  // PyTorch's output of every layer for the input (`--input reference`), else empty.
  std::vector<std::vector<uint8_t>> reference;
  TracePlan trace;
  double prepare_seconds = 0;
};

// Loads and checks the configs, the net, its weights and inputs; plans and compiles the
// program. Refuses (InputError / CompileError) before any weight is made when a layer cannot
// run, the network does not fit the DRAM, or it is too large to simulate in reasonable time.
PreparedRun PrepareRun(const RunRequest& request);

struct NetworkRun {
  RunResult result;                           // per layer and totals, for the reports
  std::vector<std::vector<uint8_t>> outputs;  // image 0: every layer's hardware output
  std::string predictions_csv;                // dataset runs
};

// Runs the prepared program on `device`. `trace`, when given, is the waveform window to dump.
// Throws SimulationError when the device fails (watchdog, error status).
NetworkRun RunNetwork(const PreparedRun& run, Device& device, const TraceRequest* trace = nullptr);

// Runs the prepared program on devices of `kind`: in this process when run.request.jobs <= 1,
// when a waveform is asked for (`trace`) or a fault injected; else in run.request.jobs worker
// processes (sim/worker_processes.h). Layers are split into contiguous groups balanced by the
// compiler's estimated cycles, each group run from the golden outputs it reads, starting in the
// state the whole run has at the group's first layer (the command FIFO's fill is reproduced and
// checked), so per-layer counters, totals and outputs are those of one process; a dataset's
// images are split instead. Throws like RunNetwork; a worker that dies is a SimulationError.
NetworkRun RunNetworkJobs(const PreparedRun& run, DeviceKind kind,
                          const TraceRequest* trace = nullptr);

// Whether RunNetworkJobs runs `run` in worker processes (else in this process).
bool UsesWorkers(const PreparedRun& run);

// Contiguous groups of layers [bounds[g], bounds[g+1]) for `groups` workers, balanced by
// estimated cycles (the largest group as small as possible); fewer groups than asked when the
// network has fewer layers.
std::vector<size_t> SplitLayers(const Program& program, int groups);

// The default hw config and the energy table of a name ("horowitz45") or a path.
std::string DefaultHwPath();
std::string EnergyTablePath(const std::string& name_or_path);

}  // namespace sasim

#endif  // SASIM_SIM_RUN_NETWORK_H_
