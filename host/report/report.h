// What one sim_run produced, and the files and tables made from it: report.json, cycles.csv
// (written atomically: a temporary file renamed into place) and the terminal table.
#ifndef SASIM_HOST_REPORT_REPORT_H_
#define SASIM_HOST_REPORT_REPORT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "contract/hw_config.h"
#include "contract/layer.h"
#include "host/net/prepare.h"
#include "host/report/output_dir.h"
#include "host/energy/energy.h"
#include "contract/counters.h"

namespace sasim {

// One layer's results: the layer record itself (contract/layer.h), what preparation found, and
// what the hardware measured.
struct LayerResult {
  Layer layer;
  LayerStats stats;
  int64_t macs = 0;
  uint64_t cycles = 0;
  double compute_bound = 0;      // MACs / PEs
  double memory_bound = 0;       // minimum DRAM bytes / bandwidth
  double roofline_cycles = 0;    // max of the two
  double utilization = 0;        // MACs / (PEs * cycles)
  uint64_t stall_cycles = 0;
  uint64_t dram_read_bytes = 0;
  uint64_t dram_write_bytes = 0;
  uint64_t min_dram_bytes = 0;
  bool bit_exact = false;
  std::string mismatch;          // first mismatch: index, expected, got
  std::string reference_mismatch;  // against PyTorch's output, when the run has a reference
  std::string tiling;            // the compiler's decision
  Counters counters{};
  Energy energy;                 // from the counters and the run's energy table
};

struct RunResult {
  std::string net;
  std::string device = "platform";  // what ran it (sim/device.h)
  bool timed = true;                // cycle and stall counters measured (false: they read 0)
  std::string net_path;
  std::string input;             // where the input image came from
  HwConfig hw;
  std::string hw_path;
  EnergyTable energy_table;
  Energy energy;                 // whole network
  std::vector<LayerResult> layers;
  bool bit_exact = false;        // against the golden model and, if any, the reference
  std::string reference;         // the directory of PyTorch's outputs checked too, or empty
  double wall_seconds = 0;       // simulation (build and set-up excluded)
  double prepare_seconds = 0;    // weights and golden reference
  uint64_t cycles = 0;
  int64_t macs = 0;
  double utilization = 0;
  double roofline_cycles = 0;
  uint64_t dram_read_bytes = 0;
  uint64_t dram_write_bytes = 0;
  std::string trace_path;        // the waveform, when one was asked for
  uint64_t trace_bytes = 0;
  uint64_t trace_first_cycle = 0;
  uint64_t trace_cycles = 0;
  std::vector<std::string> trace_views;  // its GTKWave views, written beside it
  // A batch (sim_run --batch): images per run; counters, cycles and energy are the batch's.
  // Without a dataset, how many of its images were bit-exact on every layer, and the first
  // difference in one after image 0 (image 0's are the layers' own).
  int batch = 1;
  size_t batch_exact_images = 0;
  std::string batch_mismatch;
  std::string dataset_path;      // --dataset runs
  size_t dataset_images = 0;
  size_t dataset_exact_images = 0;
  size_t dataset_correct = 0;
  bool dataset_labelled = false;
  // Worker processes that ran it (sim_run --jobs) and how the run was split among them: one
  // entry per worker, e.g. "conv1..conv2" or "images 0..31".
  int workers = 1;
  std::string split_by;  // "layers", "images" or "" (one process)
  std::vector<std::string> split;
  int reruns = 0;  // groups run again to start in the exact state of the whole run
};

// What a layer's counters warn about (e.g. wrapped accumulations), one sentence each.
std::vector<std::string> LayerWarnings(const LayerResult& layer);

// Fills the derived fields (roofline, utilization, energy, totals) from counters and shapes.
void Summarize(RunResult* run);

std::string ReportJson(const RunResult& run);
std::string CyclesCsv(const RunResult& run);
std::string EnergyCsv(const RunResult& run);
std::string EnergyTableText(const RunResult& run);
std::string LayerTable(const RunResult& run);

// What sim_run prints after a run: the tables, notes, totals, where the reports are.
std::string SummaryText(const RunResult& run, const std::string& out_dir, bool html,
                        const std::string& trace_note);

// The report set of a run (report.json, cycles.csv, energy.csv, decisions.txt, report.html
// when `html`, predictions.csv for a dataset), added to a report directory.
void AddReportFiles(const RunResult& run, const std::string& predictions_csv, bool html,
                    OutputDir* out);
// Every layer's hardware output as <layer>.npy (uint8, C x H x W).
void AddLayerOutputs(const RunResult& run, const std::vector<std::vector<uint8_t>>& outputs,
                     OutputDir* out);

}  // namespace sasim

#endif  // SASIM_HOST_REPORT_REPORT_H_
