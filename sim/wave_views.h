// GTKWave views written beside a waveform: for each shipped view (waveforms/<name>.gtkw, the
// template) a save file <dump without extension>.<name>.gtkw that names the dump, opens zoomed
// on what the view is for, and has named markers at the compute engine's fold starts. The span
// comes from the dump itself (its VCD, read before any conversion to FST), as the template asks
// with a `[*] sasim span: KIND` line:
//   folds  the first two folds: their fill, steps and drains
//   layer  from the dump's start to the end of the first two folds (loads, waits, first folds)
//   drain  the first fold's drain, through the requantizer, pool and output buffer writes
//   vector the vector unit's first VECTOR command (its first 96 cycles if it runs longer)
// A dump without folds (a vector layer, a window of loads, or a shallow --trace-depth) opens on
// its first 64 cycles (`layer`: its first 4000), and one without a VECTOR command a `vector`
// view likewise. docs/waveforms.md.
#ifndef SASIM_SIM_WAVE_VIEWS_H_
#define SASIM_SIM_WAVE_VIEWS_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace sasim {

// What a dump shows of the compute engine, in dump time (picoseconds).
struct DumpEvents {
  uint64_t start = 0, end = 0;  // its first and last time
  uint64_t period = 0;          // the clock's, from accel.clk_i (0 when the dump has no clock)
  // When each fold's first step went to the array (u_array in_valid_i and in_first_i rise): the
  // first kMaxMarkedFolds of the dump.
  std::vector<uint64_t> fold_starts;
  // The first two drains: [first result, past the last) of u_array's out_valid_o.
  std::vector<std::pair<uint64_t, uint64_t>> drains;
  // The vector unit's first two commands: [start, past the end) of u_vec's busy_o.
  std::vector<std::pair<uint64_t, uint64_t>> vector_runs;
};

inline constexpr size_t kMaxMarkedFolds = 26;  // GTKWave's named markers A..Z

// Reads a VCD as the Verilated core writes it. Throws SimulationError when it cannot be read.
DumpEvents ScanVcd(const std::string& path);

enum class SpanKind { kFolds, kLayer, kDrain, kVector };

// What a view opens on: [begin, end) of dump time, and the primary marker (-1: none).
struct ViewSpan {
  uint64_t begin = 0, end = 0;
  int64_t marker = -1;
};
ViewSpan SpanOf(SpanKind kind, const DumpEvents& events);

// The view for `dump` (absolute path), to be written at `view` (absolute), from the template's
// text: its signals and settings, with the dump, the span, the markers and the filters' paths
// (named in the template under its [savefile] folder; `template_dir` is where they are).
// Throws InputError naming the template when it lacks what a view needs.
std::string ViewText(const std::string& template_text, const std::string& template_path,
                     const std::string& template_dir, const std::string& dump,
                     const std::string& view, const DumpEvents& events);

// The templates in `dir` (every <name>.gtkw, names without a dot), sorted.
std::vector<std::string> ViewTemplates(const std::string& dir);

// Where the view of `dump` from template `name` goes: <dump without extension>.<name>.gtkw.
std::string ViewPath(const std::string& dump, const std::string& name);

}  // namespace sasim

#endif  // SASIM_SIM_WAVE_VIEWS_H_
