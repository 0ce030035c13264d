// Waveform windows: what the user asked for (--trace, --trace-layer, --trace-cycles,
// --trace-depth), what sim_run asks the Verilated core to dump, and the file that results.
// The core writes a VCD to a private temporary file beside the target; at the end it is renamed
// into place, or converted to FST by gtkwave's vcd2fst (run with an argument vector, never a
// shell). An interrupted or failed run leaves no partial waveform. Beside the dump go its
// GTKWave views, placed on what the dump shows (sim/wave_views.h).
#ifndef SASIM_SIM_TRACE_H_
#define SASIM_SIM_TRACE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "contract/program.h"

namespace sasim {

// A waveform window: by cycles of the run, or by a range of command indices (a layer).
struct TraceRequest {
  std::string path;            // VCD file
  int depth = 99;              // hierarchy levels (Verilator's trace depth)
  bool by_command = false;
  uint64_t first_cycle = 0, end_cycle = 0;  // run cycles [first, end)
  uint32_t first_command = 0, end_command = 0;
};

struct TraceResult {
  bool written = false;
  uint64_t first_cycle = 0;    // run cycle where the dump opened
  uint64_t cycles = 0;         // cycles it covers
  std::string error;           // why writing the dump failed (a full disk), or ""
};

// The user's options.
struct TraceOptions {
  std::string file;    // .vcd or .fst; a bare name goes to waveforms/
  std::string layer;   // window: all cycles of this layer
  std::string cycles;  // window: START:END run cycles
  int depth = 99;
  bool wanted() const { return !file.empty() || !layer.empty() || !cycles.empty(); }
};

// Checked before anything runs: the path, its format, the window.
struct TracePlan {
  bool enabled = false;
  std::string path;  // what the user gets
  bool fst = false;
  TraceRequest request;  // request.path is set when the file is opened
  std::string views_dir;  // the GTKWave views to write beside the dump (sim/wave_views.h)
};
// Throws InputError for a bad extension, window or layer name. The views are the shipped
// ones (waveforms/*.gtkw of the source tree).
TracePlan PlanTrace(const TraceOptions& options, const std::string& net_name,
                    const Program& program);

class OutputDir;
class CleanupOnInterrupt;

// The waveform's file: made (directory checked, temporary file created) before the run,
// finished after it. Without Finish, the destructor removes the temporary file.
class TraceFile {
 public:
  explicit TraceFile(const TracePlan& plan);
  ~TraceFile();
  TraceFile(const TraceFile&) = delete;
  TraceFile& operator=(const TraceFile&) = delete;
  // What the core should dump, with the temporary VCD path filled in.
  const TraceRequest& request() const { return request_; }
  // Moves (or converts) the dump into place, then writes its views beside it; returns the
  // dump's size in bytes. Throws SimulationError if vcd2fst fails, InputError if a view cannot
  // be made or written.
  uint64_t Finish();
  // The views Finish wrote, <dump without extension>.<view>.gtkw.
  const std::vector<std::string>& views() const { return views_; }

 private:
  TracePlan plan_;
  TraceRequest request_;
  std::unique_ptr<OutputDir> dir_;
  std::unique_ptr<CleanupOnInterrupt> cleanup_;
  bool finished_ = false;
  std::vector<std::string> views_;
};

}  // namespace sasim

#endif  // SASIM_SIM_TRACE_H_
