// sim_run: compiles a quantized network onto the accelerator described by a hardware config,
// runs every layer on the SystemC platform with the Verilated RTL, checks every layer's output
// bit for bit against the golden model, and reports cycles and energy. The work is the run
// library's (sim/run_network.h); this file is the command line: options, output places, report
// files, the summary and exit codes.
// Exit codes: 0 ran and bit-exact, 1 mismatch or simulation failure, 2 bad input.
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <new>
#include <string>
#include <thread>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include "contract/errors.h"
#include "host/io/interrupt.h"
#include "host/report/output_dir.h"
#include "host/report/report.h"
#include "sim/run_network.h"

namespace sasim {
namespace {

constexpr const char* kVersion = "sim_run (sasim) 0.3.0";

struct Options {
  RunRequest request;
  std::string out_dir;       // default runs/<net name>/
  std::string dump_outputs;  // directory for every layer's output as <layer>.npy
  std::string device = "platform";
  bool quiet = false;
  bool no_html = false;
};

int Run(const Options& opt) {
  // Every input is checked before any output place is touched or anything is simulated.
  const PreparedRun prepared = PrepareRun(opt.request);
  // The device before the output places: a hw config without a model, or a waveform asked of a
  // device without RTL, is refused with nothing written.
  // With worker processes (never with a waveform) no device, and no SystemC, is made in this
  // process: it forks them.
  const DeviceKind kind = ParseDeviceKind(opt.device);
  const bool workers = UsesWorkers(prepared);
  std::unique_ptr<Device> device;
  if (workers) {
    CheckDevice(kind, prepared.hw);
  } else {
    device = MakeDevice(kind, prepared.hw);
  }
  if (prepared.trace.enabled && !device->can_trace()) {
    throw InputError(fmt::format("--trace: the {} device has no RTL to trace; use --device "
                                 "platform", DeviceKindName(device->kind())));
  }
  // Then the output places, before the simulation: an unwritable one fails now, not after.
  OutputDir out(opt.out_dir.empty() ? "runs/" + prepared.spec.name : opt.out_dir, "--out");
  std::unique_ptr<OutputDir> dump;
  if (!opt.dump_outputs.empty())
    dump = std::make_unique<OutputDir>(opt.dump_outputs, "--dump-outputs");
  std::unique_ptr<TraceFile> trace;
  if (prepared.trace.enabled) trace = std::make_unique<TraceFile>(prepared.trace);

  NetworkRun run = workers ? RunNetworkJobs(prepared, kind)
                           : RunNetwork(prepared, *device, trace ? &trace->request() : nullptr);
  RunResult& result = run.result;

  std::string trace_note;
  if (trace) {
    if (result.trace_cycles == 0) {
      trace_note = "waveform: the window saw no cycle of the run; nothing dumped";
    } else {
      result.trace_bytes = trace->Finish();
      result.trace_path = prepared.trace.path;
      result.trace_views = trace->views();
      trace_note =
          fmt::format("waveform: {} ({:.1f} MB, run cycles {}..{}, {} cycles)", result.trace_path,
                      result.trace_bytes / 1e6, result.trace_first_cycle,
                      result.trace_first_cycle + result.trace_cycles, result.trace_cycles);
      for (const std::string& view : result.trace_views) {
        trace_note += fmt::format("\n  view: gtkwave {}", view);
      }
    }
  }

  AddReportFiles(result, run.predictions_csv, !opt.no_html, &out);
  if (dump) {
    AddLayerOutputs(result, run.outputs, dump.get());
    dump->Commit();
  }
  out.Commit();

  fmt::print("{}", SummaryText(result, out.path(), !opt.no_html, trace_note));
  if (!result.bit_exact) {
    for (const auto& l : result.layers) {
      if (!l.mismatch.empty()) fmt::print(stderr, "MISMATCH {}\n", l.mismatch);
      if (!l.reference_mismatch.empty()) fmt::print(stderr, "MISMATCH {}\n", l.reference_mismatch);
    }
    fmt::print("bit-exact: NO\n");
    return 1;
  }
  if (result.reference.empty()) {
    fmt::print("bit-exact: yes, every layer matches the golden model\n");
  } else {
    fmt::print("bit-exact: yes, every layer matches PyTorch's reference and the golden model\n");
  }
  return 0;
}

// The CLI boundary: every exception ends here as exit 2 (bad input) or 1 (simulation failure).
int RunCatching(const Options& opt) {
  try {
    return Run(opt);
  } catch (const InputError& e) {
    fmt::print(stderr, "sim_run: error: {}\n", e.what());
    return 2;
  } catch (const CompileError& e) {
    fmt::print(stderr, "sim_run: error: {}\n", e.what());
    return 2;
  } catch (const SimulationError& e) {
    fmt::print(stderr, "sim_run: simulation failed: {}\n", e.what());
    return 1;
  } catch (const std::filesystem::filesystem_error& e) {
    fmt::print(stderr, "sim_run: error: {}\n", e.what());
    return 2;
  } catch (const std::bad_alloc&) {
    fmt::print(stderr,
               "sim_run: error: out of memory: the inputs ask for more than this "
               "machine has\n");
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "sim_run: internal error: {}\n", e.what());
    return 1;
  } catch (...) {
    fmt::print(stderr, "sim_run: internal error: unknown exception\n");
    return 1;
  }
}

}  // namespace
}  // namespace sasim

int main(int argc, char** argv) {
  sasim::Options opt;
  sasim::RunRequest& r = opt.request;
  CLI::App app{"sim_run: run a quantized network on the sasim accelerator (Verilated RTL on a "
               "SystemC platform), check it bit for bit, report cycles"};
  app.add_option("--net", r.net_path, "network description (configs/*.yaml)")->required();
  app.add_option("--hw", r.hw_path, "hardware config (default: configs/hw/default.yaml)");
  app.add_option("--input", r.input_path,
                 "input image: .npy (uint8 or float, CHW), a CIFAR-10 binary batch (.bin), or "
                 "'reference': the net's reference input, checked against PyTorch's outputs");
  app.add_option("--index", r.index, "record of a CIFAR-10 batch (default 0)");
  app.add_option("--out", opt.out_dir, "report directory (default runs/<net name>/)");
  app.add_option("--seed", r.seed, "seed for synthetic weights and input (default: the net's)");
  app.add_option("--energy", r.energy,
                 "energy table: a file, or course_ops, horowitz45 (default), course_eyeriss");
  app.add_option("--device", opt.device,
                 "platform (default: the Verilated RTL on the SystemC platform), bare (the "
                 "Verilated core without SystemC) or functional (C++, no cycles)");
  app.add_flag("--quiet", opt.quiet, "no progress on stderr");
  app.add_option("--dataset", r.dataset,
                 "run many images with one compiled program: .npy N x C x H x W (uint8 or "
                 "float) or a CIFAR-10 batch (.bin)");
  app.add_option("--labels", r.labels, "labels of a .npy dataset (.npy of N integers)");
  app.add_option("--limit", r.limit, "use the first N images of the dataset");
  app.add_option("--batch", r.batch,
                 "images per run (default 1): the layers run over all of them, weights loaded "
                 "once per tile; with --dataset, batches of N");
  app.add_flag("--no-html", opt.no_html, "do not write report.html");
  app.add_option("--trace", r.trace.file,
                 "waveform file, .vcd or .fst (a bare name goes to waveforms/)");
  app.add_option("--trace-layer", r.trace.layer, "dump only the cycles of this layer");
  app.add_option("--trace-cycles", r.trace.cycles, "dump only run cycles START:END");
  app.add_option("--trace-depth", r.trace.depth, "hierarchy levels to dump (default all)");
  app.add_option("--dump-outputs", opt.dump_outputs,
                 "write every layer's output as DIR/<layer>.npy (uint8, C x H x W)");
  app.add_option("--inject-fault", r.inject_fault,
                 "corrupt one weight of this layer in DRAM after the golden model ran, to see "
                 "the checker catch it (exit 1)");
  r.jobs = 0;  // the number of cores, unless given
  app.add_option("--jobs,-j", r.jobs,
                 "worker processes (default: the number of cores): the layers are split into "
                 "contiguous groups run in parallel, each starting in the exact state of one "
                 "run (counters, totals and outputs identical to --jobs 1); a --dataset splits "
                 "its images instead. --trace and --inject-fault run in one process")
      ->check(CLI::Range(1, 256));
  app.set_version_flag("--version", sasim::kVersion);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  r.progress = !opt.quiet && isatty(STDERR_FILENO);
  if (r.jobs == 0) {
    // The cores this process may run on (a container's or taskset's limit), not the machine's.
    cpu_set_t cpus;
    CPU_ZERO(&cpus);
    const int usable = sched_getaffinity(0, sizeof cpus, &cpus) == 0 ? CPU_COUNT(&cpus) : 0;
    r.jobs =
        usable > 0 ? usable : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  }
  sasim::InstallInterruptCleanup();
  return sasim::RunCatching(opt);
}
