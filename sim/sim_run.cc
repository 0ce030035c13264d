// sim_run: compiles a quantized network onto the accelerator described by a hardware config,
// runs every layer on the SystemC platform with the Verilated RTL, checks every layer's output
// bit for bit against the golden model, and reports cycles.
// Exit codes: 0 ran and bit-exact, 1 mismatch or simulation failure, 2 bad input.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include "compiler/net_compiler.h"
#include "contract/errors.h"
#include "host/config/config_loader.h"
#include "host/io/files.h"
#include "host/io/npy.h"
#include "host/net/prepare.h"
#include "host/report/html.h"
#include "host/report/report.h"
#include "host/runtime/runtime.h"
#include "sim/platform.h"

namespace sasim {
namespace {

constexpr const char* kVersion = "sim_run (sasim) 0.2.0";

struct Options {
  std::string net_path;
  std::string hw_path = SASIM_SOURCE_DIR "/configs/hw/default.yaml";
  std::string input_path;
  int index = 0;
  std::string out_dir;
  std::optional<uint32_t> seed;
  bool quiet = false;
  std::string inject_fault;  // layer whose first weight is corrupted in DRAM (tests the checker)
  std::string energy = "horowitz45";
  bool no_html = false;
  std::string trace;         // waveform file (.vcd or .fst)
  std::string trace_layer;   // window: all cycles of this layer
  std::string trace_cycles;  // window: START:END run cycles
  int trace_depth = 99;
  std::string dump_outputs;  // directory for every layer's output as <layer>.npy
  std::string dataset;       // many images, one compiled program
  std::string labels;
  int limit = 0;
};

// What to dump, checked before anything runs.
struct TracePlan {
  bool enabled = false;
  std::string path;      // what the user gets
  std::string vcd_path;  // what the core writes (a temporary VCD when the user asked for FST)
  TraceRequest request;
};

TracePlan PlanTrace(const Options& opt, const std::string& net_name) {
  TracePlan plan;
  if (opt.trace.empty() && opt.trace_layer.empty() && opt.trace_cycles.empty()) return plan;
  plan.enabled = true;
  std::string path = opt.trace;
  if (path.empty()) {
    path = fmt::format("{}_{}.fst", net_name,
                       opt.trace_layer.empty() ? "cycles_" + opt.trace_cycles : opt.trace_layer);
    std::replace(path.begin(), path.end(), ':', '-');
  }
  if (path.find('/') == std::string::npos) path = "waveforms/" + path;  // the default place
  const auto ext = std::filesystem::path(path).extension().string();
  if (ext != ".vcd" && ext != ".fst") {
    throw InputError(fmt::format("--trace {}: the waveform format comes from the extension, "
                                 ".vcd or .fst", path));
  }
  plan.path = path;
  plan.vcd_path = ext == ".fst" ? path + ".vcd.tmp" : path;
  plan.request.path = plan.vcd_path;
  plan.request.depth = opt.trace_depth;
  plan.request.end_cycle = UINT64_MAX;
  if (!opt.trace_cycles.empty()) {
    unsigned long long a = 0, b = 0;
    char extra = 0;
    if (std::sscanf(opt.trace_cycles.c_str(), "%llu:%llu%c", &a, &b, &extra) != 2 || b <= a) {
      throw InputError(fmt::format("--trace-cycles '{}': expected START:END with START < END",
                                   opt.trace_cycles));
    }
    plan.request.first_cycle = a;
    plan.request.end_cycle = b;
  }
  return plan;
}

// --energy takes a file, or the name of a table in configs/energy/.
std::string EnergyTablePath(const std::string& arg) {
  if (arg.find('/') != std::string::npos || arg.find(".yaml") != std::string::npos) return arg;
  return std::string(SASIM_SOURCE_DIR) + "/configs/energy/" + arg + ".yaml";
}

double Since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// First difference between a layer's hardware output and its golden output, or "".
std::string FirstMismatch(const PreparedLayer& l, const std::vector<uint8_t>& got) {
  const int h = l.fused.out_height(), w = l.fused.out_width();
  for (size_t i = 0; i < l.golden.size(); ++i) {
    if (got[i] != l.golden[i]) {
      size_t wrong = 0;
      for (size_t j = 0; j < l.golden.size(); ++j) wrong += got[j] != l.golden[j];
      return fmt::format("layer {}: output index {} (channel {}, y {}, x {}): expected {}, got "
                         "{} ({} of {} outputs differ)",
                         l.fused.name, i, i / (h * w), i / w % h, i % w, l.golden[i], got[i],
                         wrong, l.golden.size());
    }
  }
  return "";
}

int Run(const Options& opt) {
  // Everything the user gave is checked before anything is simulated or written.
  const HwConfig hw = LoadHwConfig(opt.hw_path);
  const EnergyTable energy_table = LoadEnergyTable(EnergyTablePath(opt.energy));
  compiler::NetSpec net = LoadNet(opt.net_path);
  if (opt.seed) net.seed = *opt.seed;
  const auto fused = compiler::Fuse(net);
  std::vector<uint8_t> input;
  std::string input_desc;
  Dataset dataset;
  if (!opt.dataset.empty()) {
    if (!opt.input_path.empty()) throw InputError("--dataset and --input exclude each other");
    dataset = LoadDataset(opt.dataset, opt.labels, opt.limit, net);
    if (dataset.images.empty()) throw InputError(opt.dataset + ": no images");
    input = dataset.images[0];
    input_desc = fmt::format("{} image 0 of {}", opt.dataset, dataset.images.size());
  } else if (opt.input_path.empty()) {
    input = SyntheticImage(net.input_channels, net.input_height, net.input_width, net.seed);
    input_desc = fmt::format("synthetic (seed {})", net.seed);
  } else {
    input = LoadInputImage(opt.input_path, opt.index, net);
    input_desc = opt.input_path.size() > 4 &&
                         opt.input_path.substr(opt.input_path.size() - 4) == ".bin"
                     ? fmt::format("{} record {}", opt.input_path, opt.index)
                     : opt.input_path;
  }
  const auto prepare_start = std::chrono::steady_clock::now();
  const PreparedNet prepared = PrepareNet(net, fused, input);
  const double prepare_seconds = Since(prepare_start);
  std::vector<compiler::ConvLayer> layers;
  for (const auto& l : prepared.layers) layers.push_back(l.conv);
  const compiler::NetProgram program = compiler::CompileNet(layers, hw);
  if (!opt.inject_fault.empty() &&
      std::none_of(layers.begin(), layers.end(),
                   [&](const compiler::ConvLayer& l) { return l.name == opt.inject_fault; })) {
    throw InputError(fmt::format("--inject-fault: no layer '{}' in {}", opt.inject_fault,
                                 opt.net_path));
  }
  const std::string out_dir = opt.out_dir.empty() ? "runs/" + net.name : opt.out_dir;
  TracePlan trace = PlanTrace(opt, net.name);
  if (!opt.trace_layer.empty()) {
    size_t i = 0;
    while (i < program.layers.size() && program.layers[i].layer.name != opt.trace_layer) ++i;
    if (i == program.layers.size()) {
      throw InputError(fmt::format("--trace-layer: no conv2d or linear layer '{}' in {}",
                                   opt.trace_layer, opt.net_path));
    }
    trace.request.by_command = true;
    trace.request.first_command = static_cast<uint32_t>(program.layers[i].first_command);
    trace.request.end_command = static_cast<uint32_t>(
        i + 1 < program.layers.size() ? program.layers[i + 1].first_command
                                      : program.commands.size());
  }

  std::string dataset_csv;
  RunResult run;
  run.net = net.name;
  run.net_path = opt.net_path;
  run.input = input_desc;
  run.hw = hw;
  run.hw_path = opt.hw_path;
  run.energy_table = energy_table;
  run.prepare_seconds = prepare_seconds;

  const bool progress = !opt.quiet && isatty(STDERR_FILENO);
  std::vector<Counters> snapshots(layers.size());
  std::vector<bool> dataset_exact;       // images 1.. (image 0 is the run reported per layer)
  std::vector<int> dataset_predictions;
  std::vector<std::vector<uint8_t>> outputs(layers.size());
  Platform platform(hw);
  if (trace.enabled) {
    std::filesystem::create_directories(std::filesystem::path(trace.path).parent_path());
    platform.SetTrace(trace.request);
  }
  const auto sim_start = std::chrono::steady_clock::now();
  platform.Run([&](Hal& hal) {
    const auto cmds = compiler::CommandBytes(program.commands);
    hal.DramWrite(program.cmd_addr, cmds.data(), cmds.size());
    for (const auto& plan : program.layers) {
      std::vector<uint8_t> image = plan.lowered.weight_image;
      if (plan.layer.name == opt.inject_fault) image[4 * 16] ^= 0x40;  // first weight word
      hal.DramWrite(plan.place.weight_addr, image.data(), image.size());
    }
    WriteTensor(hal, program.input_addr, prepared.input, net.input_channels, net.input_height,
                net.input_width);
    auto read_output = [&](size_t i) {
      const auto& layer = program.layers[i].layer;
      return ReadTensor(hal, program.layers[i].place.output_addr, compiler::OutChannels(layer),
                        compiler::OutHeight(layer), compiler::OutWidth(layer));
    };
    // Progress: the layer the controller is in, and cycles against the compiler's estimate.
    double estimate = 0;
    for (const auto& plan : program.layers) estimate += plan.tiling.estimated_cycles;
    auto report = [&](uint32_t command, uint64_t cycles) {
      size_t layer = 0;
      while (layer + 1 < program.layers.size() &&
             program.layers[layer + 1].first_command <= command) {
        ++layer;
      }
      fmt::print(stderr, "\r  layer {} of {} ({}), {} cycles, ~{:.0f}%, {:.1f} s   ", layer + 1,
                 program.layers.size(), program.layers[layer].layer.name, cycles,
                 std::min(99.0, 100.0 * cycles / std::max(1.0, estimate)), Since(sim_start));
    };
    RunCommands(hal, program.cmd_addr, progress ? report : std::function<void(uint32_t,
                                                                             uint64_t)>{});
    if (progress) fmt::print(stderr, "\r{:60}\r", "");
    for (size_t i = 0; i < layers.size(); ++i) {
      const auto& plan = program.layers[i];
      hal.DramRead(plan.snapshot_addr, reinterpret_cast<uint8_t*>(snapshots[i].data()),
                   sizeof(Counters));
      outputs[i] = read_output(i);
    }
    // The rest of a dataset: same program, only the input changes.
    for (size_t k = 1; k < dataset.images.size(); ++k) {
      WriteTensor(hal, program.input_addr, dataset.images[k], net.input_channels,
                  net.input_height, net.input_width);
      RunCommands(hal, program.cmd_addr);
      const auto golden = GoldenForward(prepared, dataset.images[k]);
      bool exact = true;
      std::vector<uint8_t> last;
      for (size_t i = 0; i < layers.size(); ++i) {
        last = read_output(i);
        exact = exact && last == golden[i];
      }
      dataset_exact.push_back(exact);
      dataset_predictions.push_back(
          static_cast<int>(std::max_element(last.begin(), last.end()) - last.begin()));
      if (progress) {
        fmt::print(stderr, "\r  image {} of {}, {:.1f} s   ", k + 1, dataset.images.size(),
                   Since(sim_start));
      }
    }
    if (progress && dataset.images.size() > 1) fmt::print(stderr, "\r{:60}\r", "");
  });
  run.wall_seconds = Since(sim_start);
  std::string trace_note;
  if (trace.enabled) {
    const TraceResult t = platform.trace_result();
    if (!t.written) {
      trace_note = "waveform: the window saw no cycle of the run; nothing dumped";
    } else {
      if (trace.vcd_path != trace.path) {
        const std::string cmd = fmt::format("vcd2fst '{}' '{}' > /dev/null 2>&1", trace.vcd_path,
                                            trace.path);
        const int rc = std::system(cmd.c_str());
        std::filesystem::remove(trace.vcd_path);
        if (rc != 0) {
          throw SimulationError("vcd2fst (gtkwave) failed to write " + trace.path);
        }
      }
      run.trace_path = trace.path;
      run.trace_bytes = std::filesystem::file_size(trace.path);
      run.trace_first_cycle = t.first_cycle;
      run.trace_cycles = t.cycles;
      trace_note = fmt::format("waveform: {} ({:.1f} MB, run cycles {}..{}, {} cycles)",
                               trace.path, run.trace_bytes / 1e6, t.first_cycle,
                               t.first_cycle + t.cycles, t.cycles);
    }
  }

  for (size_t i = 0; i < layers.size(); ++i) {
    const PreparedLayer& p = prepared.layers[i];
    LayerResult l;
    l.name = p.fused.name;
    l.type = p.fused.type;
    l.ops = p.fused.ops;
    l.shape = p.conv.shape;
    l.out_c = p.fused.out_channels();
    l.out_h = p.fused.out_height();
    l.out_w = p.fused.out_width();
    l.requant = p.conv.requant;
    l.pool = p.conv.pool;
    l.calibrated = p.calibrated;
    l.configured_shift = p.configured_shift;
    l.zero_share = p.zero_share;
    l.saturated_share = p.saturated_share;
    l.tiling = program.layers[i].tiling.decision;
    for (int k = 0; k < isa::kNumCounters; ++k) {
      l.counters[k] = snapshots[i][k] - (i ? snapshots[i - 1][k] : 0);
    }
    l.mismatch = FirstMismatch(p, outputs[i]);
    l.bit_exact = l.mismatch.empty();
    run.layers.push_back(l);
  }
  Summarize(&run);
  if (!dataset.images.empty()) {
    // Image 0 is the per-layer run above; the others were checked on their final layers.
    const auto& out0 = outputs.back();
    dataset_predictions.insert(
        dataset_predictions.begin(),
        static_cast<int>(std::max_element(out0.begin(), out0.end()) - out0.begin()));
    dataset_exact.insert(dataset_exact.begin(), run.bit_exact);
    run.dataset_path = opt.dataset;
    run.dataset_images = dataset.images.size();
    std::string csv = "index,label,prediction,bit_exact\n";
    for (size_t k = 0; k < dataset.images.size(); ++k) {
      run.dataset_exact_images += dataset_exact[k];
      if (!dataset.labels.empty()) run.dataset_correct += dataset_predictions[k] == dataset.labels[k];
      csv += fmt::format("{},{},{},{}\n", k, dataset.labels.empty() ? -1 : dataset.labels[k],
                         dataset_predictions[k], dataset_exact[k] ? 1 : 0);
    }
    run.dataset_labelled = !dataset.labels.empty();
    run.bit_exact = run.bit_exact && run.dataset_exact_images == run.dataset_images;
    dataset_csv = csv;
  }

  std::filesystem::create_directories(out_dir);
  WriteFileAtomically(out_dir + "/report.json", ReportJson(run));
  WriteFileAtomically(out_dir + "/cycles.csv", CyclesCsv(run));
  WriteFileAtomically(out_dir + "/energy.csv", EnergyCsv(run));
  if (!dataset_csv.empty()) WriteFileAtomically(out_dir + "/predictions.csv", dataset_csv);
  if (!opt.no_html) WriteFileAtomically(out_dir + "/report.html", ReportHtml(run));
  if (!opt.dump_outputs.empty()) {
    // The hardware's outputs (read back from DRAM), uint8 CHW, one .npy per layer.
    std::filesystem::create_directories(opt.dump_outputs);
    for (size_t i = 0; i < layers.size(); ++i) {
      const auto& f = prepared.layers[i].fused;
      WriteNpy(opt.dump_outputs + "/" + f.name + ".npy", "u1",
               {f.out_channels(), f.out_height(), f.out_width()}, outputs[i].data(),
               outputs[i].size());
    }
  }
  std::string decisions;
  for (const auto& l : run.layers) decisions += fmt::format("{}: {}\n", l.name, l.tiling);
  WriteFileAtomically(out_dir + "/decisions.txt", decisions);

  fmt::print("sim_run: {} on hw '{}' ({}x{} array, {:.0f} MHz), input {}\n", run.net, hw.name,
             hw.array_rows, hw.array_cols, hw.clock_mhz, run.input);
  fmt::print("{}", LayerTable(run));
  fmt::print("{}", EnergyTableText(run));
  for (const auto& l : run.layers) {
    if (l.calibrated) {
      fmt::print("note: {} calibrated: with the configured shift {} most synthetic outputs were "
                 "at 128 or 255; the power-of-two observer chose shift {} from the layer's "
                 "largest accumulator\n", l.name, l.configured_shift, l.requant.shift);
    }
  }
  fmt::print("cycles {} ({:.3f} ms at {:.0f} MHz), {:.3f}x the roofline sum {:.0f}; PE "
             "utilization {:.1f}%\n", run.cycles, run.cycles / (hw.clock_mhz * 1e3),
             hw.clock_mhz, run.cycles / run.roofline_cycles, run.roofline_cycles,
             100 * run.utilization);
  fmt::print("simulation {:.2f} s wall ({:.2f} M cycles/s), preparation {:.2f} s\n",
             run.wall_seconds, run.cycles / run.wall_seconds / 1e6, run.prepare_seconds);
  fmt::print("energy {:.3f} uJ with table '{}'; its arithmetic {:.3f} uJ is {:.1f}% of the same "
             "MACs in FP32 ({:.3f} uJ)\n",
             run.energy.total() / 1e6, energy_table.name, run.energy.compute() / 1e6,
             100 * run.energy.compute() / std::max(1e-9, run.energy.fp32_equivalent),
             run.energy.fp32_equivalent / 1e6);
  fmt::print("reports: {0}/report.json, {0}/cycles.csv, {0}/energy.csv, {0}/decisions.txt{1}\n",
             out_dir, opt.no_html ? "" : fmt::format(", {}/report.html", out_dir));
  if (!trace_note.empty()) fmt::print("{}\n", trace_note);
  if (run.dataset_images > 0) {
    fmt::print("dataset: {} images, {} bit-exact against the golden model{}; predictions in "
               "{}/predictions.csv\n", run.dataset_images, run.dataset_exact_images,
               run.dataset_labelled
                   ? fmt::format(", top-1 {:.2f}% ({} of {})",
                                 100.0 * run.dataset_correct / run.dataset_images,
                                 run.dataset_correct, run.dataset_images)
                   : "", out_dir);
  }
  if (!run.bit_exact) {
    for (const auto& l : run.layers) {
      if (!l.bit_exact) fmt::print(stderr, "MISMATCH {}\n", l.mismatch);
    }
    fmt::print("bit-exact: NO\n");
    return 1;
  }
  fmt::print("bit-exact: yes, every layer matches the golden model\n");
  return 0;
}

}  // namespace
}  // namespace sasim

int main(int argc, char** argv) {
  sasim::Options opt;
  CLI::App app{"sim_run: run a quantized network on the sasim accelerator (Verilated RTL on a "
               "SystemC platform), check it bit for bit, report cycles"};
  app.add_option("--net", opt.net_path, "network description (configs/*.yaml)")->required();
  app.add_option("--hw", opt.hw_path, "hardware config (default: configs/hw/default.yaml)");
  app.add_option("--input", opt.input_path,
                 "input image: .npy (uint8 or float, CHW) or a CIFAR-10 binary batch (.bin)");
  app.add_option("--index", opt.index, "record of a CIFAR-10 batch (default 0)");
  app.add_option("--out", opt.out_dir, "report directory (default runs/<net name>/)");
  app.add_option("--seed", opt.seed, "seed for synthetic weights and input (default: the net's)");
  app.add_option("--energy", opt.energy,
                 "energy table: a file, or course_ops, horowitz45 (default), course_eyeriss");
  app.add_flag("--quiet", opt.quiet, "no progress on stderr");
  app.add_option("--dataset", opt.dataset,
                 "run many images with one compiled program: .npy N x C x H x W (uint8 or "
                 "float) or a CIFAR-10 batch (.bin)");
  app.add_option("--labels", opt.labels, "labels of a .npy dataset (.npy of N integers)");
  app.add_option("--limit", opt.limit, "use the first N images of the dataset");
  app.add_flag("--no-html", opt.no_html, "do not write report.html");
  app.add_option("--trace", opt.trace,
                 "waveform file, .vcd or .fst (a bare name goes to waveforms/)");
  app.add_option("--trace-layer", opt.trace_layer, "dump only the cycles of this layer");
  app.add_option("--trace-cycles", opt.trace_cycles, "dump only run cycles START:END");
  app.add_option("--trace-depth", opt.trace_depth, "hierarchy levels to dump (default all)");
  app.add_option("--dump-outputs", opt.dump_outputs,
                 "write every layer's output as DIR/<layer>.npy (uint8, C x H x W)");
  app.add_option("--inject-fault", opt.inject_fault,
                 "corrupt one weight of this layer in DRAM after the golden model ran, to see "
                 "the checker catch it (exit 1)");
  app.set_version_flag("--version", sasim::kVersion);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  try {
    return sasim::Run(opt);
  } catch (const sasim::InputError& e) {
    fmt::print(stderr, "sim_run: error: {}\n", e.what());
    return 2;
  } catch (const sasim::CompileError& e) {
    fmt::print(stderr, "sim_run: error: {}\n", e.what());
    return 2;
  } catch (const sasim::SimulationError& e) {
    fmt::print(stderr, "sim_run: simulation failed: {}\n", e.what());
    return 1;
  }
}
